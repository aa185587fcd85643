export * from './limits';
export * from './errors';
export * from './schemas';
export * from './events';
export * from './parse';
