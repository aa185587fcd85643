export * from './api';
export * from './dexieStorage';
export * from './imClient';
export * from './memoryStorage';
export * from './order';
export * from './retry';
export * from './status';
export * from './storage';
