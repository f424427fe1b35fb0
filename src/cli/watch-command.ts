import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, TandemError, type Logger } from '../common/index.js';
import { startWatchProcess, type ClusterWatch } from '../watch/index.js';
import { reportError } from './report-error.js';

/** `tandem watch`: runs the cluster watch until SIGTERM/SIGINT or a fatal error; exit 1 for a bad configuration or state file. */
export async function runWatchCommand(argv: readonly string[]): Promise<number> {
  const values = parseWatchArgs(argv);
  if (values === undefined) return 2;
  const configDir = values['config-dir'];
  const dataDir = values['data-dir'];
  if (configDir === undefined || dataDir === undefined) {
    process.stderr.write('tandem watch needs --config-dir DIR and --data-dir DIR\n');
    return 2;
  }
  const logger = createLogger({ level: values['log-level'], bindings: { role: 'watch' } });

  let resolveStop!: (code: number) => void;
  const stopped = new Promise<number>((r) => (resolveStop = r));
  let watch: ClusterWatch | undefined;
  let stopping = false;
  const stop = (code: number, why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'stopping');
    void (watch?.close() ?? Promise.resolve()).then(
      () => resolveStop(code),
      (err: unknown) => {
        reportError(err);
        resolveStop(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`second ${signal}: exiting at once\n`);
      process.exit(130);
    }
    stop(0, signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const done = (code: number): number => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    return code;
  };
  try {
    watch = await startWatchProcess({
      configDir: resolve(configDir),
      dataDir: resolve(dataDir),
      nodeFlags: values.node,
      logger,
      onFatal: () => stop(1, 'fatal error'),
    });
  } catch (err) {
    logStartFailure(logger, err);
    reportError(err);
    return done(1);
  }
  if (stopping) await watch.close();
  else process.stdout.write(`tandem: watching ${watch.status().nodes.map((n) => n.uri).join(' and ')} (state in ${watch.stateFilePath})\n`);
  return done(await stopped);
}

function parseWatchArgs(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        'config-dir': { type: 'string' },
        'data-dir': { type: 'string' },
        node: { type: 'string', multiple: true, default: [] },
        'log-level': { type: 'string', default: process.env['TANDEM_LOG_LEVEL'] ?? 'info' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`tandem watch: ${err instanceof Error ? err.message : String(err)}\n`);
    return undefined;
  }
}

/** One line for the log collector; a coded error needs no stack to be understood. */
function logStartFailure(logger: Logger, err: unknown): void {
  if (err instanceof TandemError) logger.error({ code: err.code, arguments: err.arguments }, `the cluster watch cannot start: ${err.message}`);
  else logger.error({ err }, 'the cluster watch cannot start');
}
