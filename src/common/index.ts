export * from './brands.js';
export * from './clock.js';
export * from './errors.js';
export * from './logger.js';
export * from './supervisor.js';
export * from './metrics.js';
export * from './wakeup.js';
export * from './parse-input.js';
