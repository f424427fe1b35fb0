import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { createLogger, LogContext } from '../common/index.js';
import { startNode, type RunningNode } from '../app.js';
import type { StopReason } from '../controller/index.js';
import { runService } from './run-service.js';

/** `tandem start`: runs one controller until SIGTERM/SIGINT, ShutDown, or a fatal error. */
export async function runStartCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'config-dir': { type: 'string' },
      'data-dir': { type: 'string' },
      'http-port': { type: 'string' },
      'https-port': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'log-level': { type: 'string', default: process.env['TANDEM_LOG_LEVEL'] ?? 'info' },
    },
    strict: true,
  });
  const configDir = values['config-dir'];
  const dataDir = values['data-dir'];
  if (configDir === undefined || dataDir === undefined) {
    process.stderr.write('tandem start needs --config-dir DIR and --data-dir DIR\n');
    return 2;
  }
  if (values['http-port'] !== undefined && values['https-port'] !== undefined) {
    process.stderr.write('give either --http-port or --https-port, not both\n');
    return 2;
  }
  const httpPort = parsePort(values['http-port'], '--http-port');
  const httpsPort = parsePort(values['https-port'], '--https-port');
  if (httpPort === null || httpsPort === null) return 2;

  const logContext = new LogContext();
  const logger = createLogger({ level: values['log-level'], context: logContext });
  return runUntilStopped(logger, async (onStop) =>
    startNode({
      configDir: resolve(configDir),
      dataDir: resolve(dataDir),
      host: values.host,
      logger,
      logContext,
      onStop,
      ...(httpPort === undefined ? {} : { httpPort }),
      ...(httpsPort === undefined ? {} : { httpsPort }),
      ...(httpPort === undefined && httpsPort === undefined ? { httpsPort: 4443 } : {}),
    }),
  );
}

/** Starts a node and resolves with the exit code once it has stopped cleanly (or not). */
export async function runUntilStopped(
  logger: ReturnType<typeof createLogger>,
  start: (onStop: (reason: StopReason) => void) => Promise<RunningNode>,
): Promise<number> {
  return runService(logger, async (stop) => {
    const node = await start((reason) => stop(reason.kind === 'shutdown' ? 0 : 1, reason.kind));
    return { close: () => node.close(), readyLine: `tandem: serving ${node.url}/controller/api` };
  });
}

function parsePort(v: string | undefined, name: string): number | undefined | null {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`${name} must be a port number 0–65535, got ${v}\n`);
    return null;
  }
  return n;
}
