// A child process for the crash test: recovers the controller in DATA_DIR, reports
// the order ids it found, then adds orders as fast as it can and reports each one
// whose AddOrder was acknowledged — until the test kills it with SIGKILL. Each id is
// appended to TRIED_FILE before its AddOrder: a line on stdout can be lost with the
// process once the pipe is full, a write to a file cannot.
import { appendFileSync } from 'node:fs';
import { asNodeId, createLogger, systemClock } from '../../src/common/index.js';
import { loadControllerConfig } from '../../src/config/index.js';
import { Controller } from '../../src/controller/index.js';

const [configDir, dataDir, runId, triedFile] = process.argv.slice(2);
if (configDir === undefined || dataDir === undefined || runId === undefined || triedFile === undefined) throw new Error('usage: crash-writer CONFIG DATA RUN TRIED_FILE');
const tried: string = triedFile;

const config = loadControllerConfig({ configDir, env: {} });
const controller = await Controller.open({
  config,
  dataDir,
  nodeId: asNodeId('Primary'),
  version: 'test',
  clock: systemClock,
  logger: createLogger({ level: 'warn' }),
  onStop: () => process.exit(3),
});
const user = { userId: 'crash-test', permissions: new Set(['SuperPermission']) };
const ids = (controller.orders() as { id: string }[]).map((o) => o.id);
process.stdout.write(`${JSON.stringify({ recovered: ids })}\n`);
if (controller.workflow('crash/finish') === undefined) {
  await controller.executeCommand({ TYPE: 'DeployWorkflow', workflow: { path: 'crash/finish', instructions: [{ TYPE: 'Finish' }] } }, user);
}
let n = 0;
async function writer(): Promise<void> {
  for (;;) {
    const id = `r${runId}-${n++}`;
    appendFileSync(tried, `${id}\n`);
    await controller.executeCommand({ TYPE: 'AddOrder', order: { id, workflowPath: 'crash/finish' } }, user);
    process.stdout.write(`ack ${id}\n`);
  }
}
await Promise.all(Array.from({ length: 16 }, () => writer()));
