/** Configuration: a strict HOCON parser, the controller's and the watch's schemas, and their loaders. */
export { parseHocon, type ParseHoconOptions } from './hocon.js';
export type { HoconArray, HoconObject, HoconValue } from './hocon-types.js';
export { parseDuration, parseSize } from './units.js';
export { loadControllerConfig, loadWatchConfig, type ControllerConfig, type LoadConfigOptions, type WatchConfig } from './config-loader.js';
export type { ConfigErrorEntry } from './config-errors.js';
export type { DeepReadonly } from './deep-freeze.js';
