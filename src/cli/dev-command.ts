import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger } from '../common/index.js';
import { startNode } from '../app.js';
import { runUntilStopped } from './start-command.js';

const devConf = `# Written by \`npm start\` for a local try-out: plain HTTP, no login. Not for production.
js7.controller.id = "tandem-dev"
js7.web.server.auth.public = true
`;

const demoWorkflow = {
  TYPE: 'DeployWorkflow',
  workflow: {
    path: 'demo/hello',
    instructions: [{ TYPE: 'Execute', job: { script: 'echo hello $NAME', env: { NAME: '$name' }, timeout: '30s', restartable: true } }],
  },
};

const demoSchedule = {
  TYPE: 'DeploySchedule',
  schedule: { id: 'demo-every-10s', workflowPath: 'demo/hello', cron: '*/10 * * * * *', arguments: { name: 'schedule' } },
};

/** `npm start`: one local controller with a demo workflow and schedule, on loopback. */
export async function runDevCommand(argv: readonly string[]): Promise<number> {
  const base = resolve(argv[0] ?? 'local');
  const configDir = join(base, 'config');
  const dataDir = join(base, 'data');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(join(configDir, 'controller.conf'))) writeFileSync(join(configDir, 'controller.conf'), devConf);
  const port = Number(process.env['TANDEM_PORT'] ?? 4444);
  const logger = createLogger({ level: process.env['TANDEM_LOG_LEVEL'] ?? 'warn' });
  return runUntilStopped(logger, async (onStop) => {
    const node = await startNode({ configDir, dataDir, host: '127.0.0.1', httpPort: port, logger, onStop });
    const anonymous = { userId: 'dev', permissions: new Set(['SuperPermission']) };
    await node.controller.executeCommand(demoWorkflow, anonymous);
    await node.controller.executeCommand(demoSchedule, anonymous);
    const api = `${node.url}/controller/api`;
    process.stdout.write(
      [
        '',
        `Tandem is running: ${api}   (data in ${dataDir}; Ctrl-C stops it, npm start resumes it)`,
        'A schedule adds a demo order every 10 s. Try:',
        `  curl -s ${api}/order | head -c 600`,
        `  curl -s -H 'content-type: application/json' -d '{"TYPE":"AddOrder","order":{"id":"my-1","workflowPath":"demo/hello","arguments":{"name":"you"}}}' ${api}/command`,
        `  curl -s ${api}/order/my-1`,
        `  curl -s '${api}/event?after=0&timeout=5'`,
        '',
      ].join('\n'),
    );
    return node;
  });
}
