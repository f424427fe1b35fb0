// A stand-in for a controller process: starts one long job, reports its pid on
// stdout and stays up until the test SIGKILLs it. Not a test file itself.
import { silentLogger, systemClock } from '../../../src/common/index.js';
import { JobExecutor } from '../../../src/workflow/job-executor.js';

const [pidDir, orderId] = process.argv.slice(2);
if (pidDir === undefined || orderId === undefined) throw new Error('usage: orphan-host PID_DIR ORDER_ID');
const executor = new JobExecutor({
  clock: systemClock,
  logger: silentLogger(),
  sigkillDelayMs: 1000,
  pidDir,
  onOutput: () => undefined,
});
const run = executor.start({ orderId, script: 'sleep 300', env: {} });
process.stdout.write(`${JSON.stringify({ pid: run.pid })}\n`);
