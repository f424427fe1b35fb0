import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type Logger = PinoLogger;

/**
 * Fields that change while the process runs — a node's role and epoch — added to every
 * line of every logger made from the root. The node points it at itself once it exists.
 */
export class LogContext {
  #fields: () => Readonly<Record<string, unknown>> = () => ({});

  follow(fields: () => Readonly<Record<string, unknown>>): void {
    this.#fields = fields;
  }

  fields(): Readonly<Record<string, unknown>> {
    return this.#fields();
  }
}

/** `json`: one JSON object per line (for collectors); `pretty`: readable lines for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  readonly level?: string;
  /** Fields bound to every line, e.g. `{ nodeId }`. */
  readonly bindings?: Record<string, unknown>;
  readonly context?: LogContext;
  /** Default: `logFormat()`. Ignored when `destination` is given. */
  readonly format?: LogFormat;
  readonly destination?: DestinationStream;
}

/** `TANDEM_LOG_FORMAT` when set, else pretty on a terminal and JSON otherwise. */
export function logFormat(env: NodeJS.ProcessEnv = process.env, stdoutIsTerminal = process.stdout.isTTY === true): LogFormat {
  const asked = env['TANDEM_LOG_FORMAT'];
  if (asked === 'json' || asked === 'pretty') return asked;
  return stdoutIsTerminal ? 'pretty' : 'json';
}

/** Who wrote a pretty line, in front of its message: `Primary active e3 journal`. */
function origin(log: Record<string, unknown>): string {
  const parts = [log['nodeId'], log['role'], log['epoch'] === undefined ? undefined : `e${String(log['epoch'])}`, log['component']];
  return parts.filter((p) => p !== undefined).join(' ');
}

function prettyStream(): DestinationStream {
  return pretty({
    sync: true,
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,nodeId,role,epoch,component',
    messageFormat: (log, messageKey) => {
      const who = origin(log);
      const message = String(log[messageKey] ?? '');
      return who === '' ? message : `[${who}] ${message}`;
    },
  });
}

/** Builds the root logger; components take `logger.child({ component })`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const context = options.context;
  const opts = {
    level: options.level ?? 'info',
    base: { ...options.bindings },
    ...(context === undefined ? {} : { mixin: () => ({ ...context.fields() }) }),
  };
  const destination = options.destination ?? ((options.format ?? logFormat()) === 'pretty' ? prettyStream() : undefined);
  return destination === undefined ? pino(opts) : pino(opts, destination);
}

/** A logger that drops everything (unit tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
