import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { generateIssuerKeys, issueLicence } from '../licence/index.js';

/*
 * `npm start`: a local pair — Primary, Backup and the cluster watch as three processes
 * on loopback — with a development licence, a demo workflow and a schedule. Plain HTTP
 * with public access: a try-out, not a production setup (conf/ has those).
 */

const controllerId = 'tandem-dev';
const clusterPassword = 'dev-cluster-secret';
const cli = fileURLToPath(new URL('./main.js', import.meta.url));
const DAY_MS = 86_400_000;

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

interface Member {
  readonly name: 'Primary' | 'Backup' | 'Watch';
  readonly args: readonly string[];
  child?: ChildProcess;
}

function nodeConf(isBackup: boolean, uris: { Primary: string; Backup: string }): string {
  return [
    '# Written by `npm start` for a local try-out: plain HTTP, no login, a development licence. Not for production.',
    `js7.controller.id = "${controllerId}"`,
    `js7.journal.cluster.node.is-backup = ${isBackup ? 'yes' : 'no'}`,
    // The primary appoints the pair itself, as a cockpit would.
    ...(isBackup ? [] : [`js7.journal.cluster.nodes { Primary = "${uris.Primary}", Backup = "${uris.Backup}" }`]),
    'js7.web.server.auth.public = true',
    `js7.auth.cluster.password = "${clusterPassword}"`,
    `js7.auth.users.${controllerId} = "plain:${clusterPassword}"`,
    'js7.license.file = "../../licence/dev-licence.json"',
    'js7.license.trusted-public-keys = ["../../licence/dev-issuer.pem"]',
    '',
  ].join('\n');
}

const watchConf = [
  '# Written by `npm start`: the local pair\'s cluster watch.',
  `js7.journal.cluster.watch { user = "${controllerId}", password = "${clusterPassword}" }`,
  '',
].join('\n');

/** Writes what a first start needs (later starts resume the same journals); returns the directories. */
function prepare(base: string, uris: { Primary: string; Backup: string }): Record<Member['name'], { configDir: string; dataDir: string }> {
  const dirs = {
    Primary: { configDir: join(base, 'primary', 'config'), dataDir: join(base, 'primary', 'data') },
    Backup: { configDir: join(base, 'backup', 'config'), dataDir: join(base, 'backup', 'data') },
    Watch: { configDir: join(base, 'watch', 'config'), dataDir: join(base, 'watch', 'data') },
  };
  for (const { configDir, dataDir } of Object.values(dirs)) {
    mkdirSync(configDir, { recursive: true });
    mkdirSync(dataDir, { recursive: true });
  }
  const licenceDir = join(base, 'licence');
  if (!existsSync(join(licenceDir, 'dev-licence.json'))) {
    // A throw-away issuer that only this local pair trusts.
    mkdirSync(licenceDir, { recursive: true });
    const keys = generateIssuerKeys();
    const now = Date.now();
    writeFileSync(join(licenceDir, 'dev-issuer.pem'), keys.publicKeyPem);
    writeFileSync(
      join(licenceDir, 'dev-licence.json'),
      issueLicence({ privateKeyPem: keys.privateKeyPem, id: 'dev-local', licensee: 'local try-out', validFrom: now - DAY_MS, validUntil: now + 365 * DAY_MS, issuedAt: now }),
    );
  }
  writeFileSync(join(dirs.Primary.configDir, 'controller.conf'), nodeConf(false, uris));
  writeFileSync(join(dirs.Backup.configDir, 'controller.conf'), nodeConf(true, uris));
  writeFileSync(join(dirs.Watch.configDir, 'watch.conf'), watchConf);
  return dirs;
}

async function get(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    return (await res.body.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function post(url: string, body: unknown): Promise<number> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.body.dump();
  return res.statusCode;
}

/** `npm start` (`tandem dev [DIR]`): runs the local pair until SIGINT or SIGTERM, then stops all three processes. */
export async function runDevCommand(argv: readonly string[]): Promise<number> {
  const base = resolve(argv[0] ?? 'local');
  const port = Number(process.env['TANDEM_PORT'] ?? 4444);
  const uris = { Primary: `http://127.0.0.1:${port}`, Backup: `http://127.0.0.1:${port + 1}` };
  const dirs = prepare(base, uris);
  const level = process.env['TANDEM_LOG_LEVEL'] ?? 'warn';
  const members: Member[] = [
    { name: 'Primary', args: ['start', '--config-dir', dirs.Primary.configDir, '--data-dir', dirs.Primary.dataDir, '--host', '127.0.0.1', '--http-port', String(port)] },
    { name: 'Backup', args: ['start', '--config-dir', dirs.Backup.configDir, '--data-dir', dirs.Backup.dataDir, '--host', '127.0.0.1', '--http-port', String(port + 1)] },
    { name: 'Watch', args: ['watch', '--config-dir', dirs.Watch.configDir, '--data-dir', dirs.Watch.dataDir, '--node', uris.Primary, '--node', uris.Backup] },
  ];
  let stopping = false;
  const start = (m: Member): void => {
    // Own process groups: Ctrl-C reaches only this process, which stops the three once, in order.
    const child = spawn(process.execPath, [cli, ...m.args, '--log-level', level], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    m.child = child;
    const prefix = (b: Buffer): void => {
      for (const line of b.toString('utf8').split('\n')) if (line !== '') process.stdout.write(`[${m.name}] ${line}\n`);
    };
    child.stdout!.on('data', prefix);
    child.stderr!.on('data', prefix);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      process.stdout.write(`[${m.name}] exited (${signal ?? String(code)}); start it again with:\n  node ${cli} ${m.args.join(' ')}\n`);
    });
  };
  for (const m of members) start(m);

  const stopAll = async (): Promise<void> => {
    stopping = true;
    const running = members.map((m) => m.child).filter((c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill('SIGTERM');
    await Promise.all(running.map((c) => once(c, 'exit')));
  };
  let resolveStop!: () => void;
  const stopped = new Promise<void>((r) => (resolveStop = r));
  const onSignal = (): void => {
    if (stopping) return;
    process.stdout.write('stopping the local pair…\n');
    void stopAll().then(resolveStop);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Once the primary answers: the demo workflow and schedule (deploying them again changes nothing).
  const api = (name: 'Primary' | 'Backup'): string => `${uris[name]}/controller/api`;
  const waitUntil = async (probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> => {
    const deadline = performance.now() + timeoutMs;
    while (!stopping && performance.now() < deadline) {
      if (await probe()) return true;
      await delay(200);
    }
    return false;
  };
  const primaryUp = await waitUntil(async () => (await get(api('Primary'))) !== undefined, 30_000);
  if (primaryUp) {
    await post(`${api('Primary')}/command`, demoWorkflow);
    await post(`${api('Primary')}/command`, demoSchedule);
  }
  const coupled = await waitUntil(async () => (await get(`${api('Primary')}/cluster`))?.['TYPE'] === 'Coupled', 60_000);
  if (!stopping) {
    const pids = members.map((m) => `${m.name} ${String(m.child?.pid)}`).join(', ');
    process.stdout.write(
      [
        '',
        coupled ? 'Tandem: the local pair is Coupled.' : 'Tandem: the pair did not couple within a minute; see the lines above.',
        `  Primary  ${uris.Primary}/   Backup  ${uris.Backup}/   (data in ${base}; Ctrl-C stops all three, npm start resumes)`,
        `  processes: ${pids}`,
        'A schedule adds a demo order every 10 s. Try:',
        `  npx tandem cluster status --url ${uris.Primary} --url ${uris.Backup}`,
        `  curl -s -H 'content-type: application/json' -d '{"TYPE":"AddOrder","order":{"id":"my-1","workflowPath":"demo/hello","arguments":{"name":"you"}}}' ${api('Primary')}/command`,
        `  npx tandem cluster switchover --url ${uris.Primary} --url ${uris.Backup}      # and again to switch back`,
        `  kill -9 <pid of the active node>      # the other takes over within seconds; the line printed then restarts the killed one`,
        '',
      ].join('\n'),
    );
  }
  await stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}
