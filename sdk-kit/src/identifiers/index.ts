export * from './normalize.js';
export * from './hashing.js';
