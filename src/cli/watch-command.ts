import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, TandemError, type Logger } from '../common/index.js';
import { startWatchProcess, type ClusterWatch } from '../watch/index.js';
import { runService } from './run-service.js';

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

  return runService(
    logger,
    async (stop) => {
      const watch: ClusterWatch = await startWatchProcess({
        configDir: resolve(configDir),
        dataDir: resolve(dataDir),
        nodeFlags: values.node,
        logger,
        onFatal: () => stop(1, 'fatal error'),
      });
      return { close: () => watch.close(), readyLine: `tandem: watching ${watch.status().nodes.map((n) => n.uri).join(' and ')} (state in ${watch.stateFilePath})` };
    },
    (err) => logStartFailure(logger, err),
  );
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
