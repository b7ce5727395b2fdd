export * from './group.js';
export * from './versions.js';
export * from './common.js';
export * from './postgres-server.js';
export * from './object-store.js';
export * from './registry.js';
export * from './validate.js';
