export * from './limits';
export * from './errors';
export * from './conversations';
export * from './groups';
export * from './schemas';
export * from './events';
export * from './parse';
