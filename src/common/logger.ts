import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  readonly level?: string;
  /** Fields bound to every line, e.g. `{ nodeId }`. */
  readonly bindings?: Record<string, unknown>;
  readonly destination?: DestinationStream;
}

/** Builds the root logger; components take `logger.child({ component })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const opts = { level: options.level ?? 'info', base: { ...options.bindings } };
  return options.destination === undefined ? pino(opts) : pino(opts, options.destination);
}

/** A logger that drops everything (unit tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
