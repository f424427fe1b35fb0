import type { Logger } from '../common/index.js';
import { reportError } from './report-error.js';

/** A started long-running service: how to close it, and the line that tells a caller (and the tests) it is ready. */
export interface Service {
  close(): Promise<void>;
  readonly readyLine: string;
}

/**
 * Starts a long-running service and resolves with the exit code once it has stopped:
 * the code `stop` was called with (0 after SIGTERM or SIGINT), or 1 when the start
 * failed. A second signal while stopping exits at once.
 */
export async function runService(
  logger: Logger,
  start: (stop: (code: number, why: string) => void) => Promise<Service>,
  onStartFailure: (err: unknown) => void = () => undefined,
): Promise<number> {
  let resolveStop!: (code: number) => void;
  const stopped = new Promise<number>((r) => (resolveStop = r));
  let service: Service | undefined;
  let stopping = false;
  const stop = (code: number, why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'stopping');
    void (service?.close() ?? Promise.resolve()).then(
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
  try {
    try {
      service = await start(stop);
    } catch (err) {
      onStartFailure(err);
      reportError(err);
      return 1;
    }
    if (stopping) await service.close();
    else process.stdout.write(`${service.readyLine}\n`);
    return await stopped;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
