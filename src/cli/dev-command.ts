import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { logFormat } from '../common/index.js';
import { generateIssuerKeys, issueLicence } from '../licence/index.js';
import { ensurePairCertificates } from '../pki/index.js';

/*
 * `npm start`: a local pair — Primary, Backup and the cluster watch as three processes
 * on loopback — with a development licence, a demo workflow and a schedule. HTTPS with
 * mutual TLS between the three, from certificates made on the first start; public access
 * for people (no login): a try-out, not a production setup (conf/ has those).
 */

const controllerId = 'tandem-dev';
const clusterPassword = 'dev-cluster-secret';
const cli = fileURLToPath(new URL('./main.js', import.meta.url));
const DAY_MS = 86_400_000;
const stopTimeoutMs = 30_000;

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

function nodeConf(name: 'primary' | 'backup', uris: { Primary: string; Backup: string }): string {
  return [
    '# Written by `npm start` for a local try-out: no login, a development licence. Not for production.',
    `js7.controller.id = "${controllerId}"`,
    `js7.journal.cluster.node.is-backup = ${name === 'backup' ? 'yes' : 'no'}`,
    // The primary appoints the pair itself, as a cockpit would.
    ...(name === 'backup' ? [] : [`js7.journal.cluster.nodes { Primary = "${uris.Primary}", Backup = "${uris.Backup}" }`]),
    'js7.web.server.auth.public = true',
    `js7.web.https { certificate = "../../pki/${name}.pem", private-key = "../../pki/${name}.key", trusted-certificates = ["../../pki/ca.pem"] }`,
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
  'js7.web.https { certificate = "../../pki/watch.pem", private-key = "../../pki/watch.key", trusted-certificates = ["../../pki/ca.pem"] }',
  '',
].join('\n');

/** Writes what a first start needs (later starts resume the same journals); returns the directories. */
async function prepare(base: string, uris: { Primary: string; Backup: string }): Promise<Record<Member['name'], { configDir: string; dataDir: string }>> {
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
  const loopback = ['localhost', '127.0.0.1', '::1'];
  const pki = await ensurePairCertificates(
    join(base, 'pki'),
    ['primary', 'backup', 'watch'].map((name) => ({ name, hosts: loopback })),
    { days: 825, organization: 'Tandem local try-out' },
  );
  if (pki.written.length > 0) process.stdout.write(`certificates for the local pair written to ${join(base, 'pki')} (its CA: ca.pem)\n`);
  writeFileSync(join(dirs.Primary.configDir, 'controller.conf'), nodeConf('primary', uris));
  writeFileSync(join(dirs.Backup.configDir, 'controller.conf'), nodeConf('backup', uris));
  writeFileSync(join(dirs.Watch.configDir, 'watch.conf'), watchConf);
  return dirs;
}

async function get(dispatcher: Agent, url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await request(url, { dispatcher, headersTimeout: 2_000, bodyTimeout: 2_000 });
    return (await res.body.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** True when the node at `uri` says it is the active node (false also when it does not answer). */
async function isActive(dispatcher: Agent, uri: string): Promise<boolean> {
  try {
    const res = await request(`${uri}/controller/api/health/active`, { dispatcher, headersTimeout: 2_000, bodyTimeout: 2_000 });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

async function post(dispatcher: Agent, url: string, body: unknown): Promise<number> {
  const res = await request(url, { dispatcher, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.body.dump();
  return res.statusCode;
}

/** `npm start` (`tandem dev [DIR]`): runs the local pair until SIGINT or SIGTERM, then stops all three processes. */
export async function runDevCommand(argv: readonly string[]): Promise<number> {
  const base = resolve(argv[0] ?? 'local');
  const port = Number(process.env['TANDEM_PORT'] ?? 4444);
  if (!Number.isInteger(port) || port < 1 || port > 65534) {
    process.stderr.write(`TANDEM_PORT must be a port number 1–65534 (the Backup takes the next one), got ${process.env['TANDEM_PORT'] ?? ''}\n`);
    return 2;
  }
  const uris = { Primary: `https://127.0.0.1:${port}`, Backup: `https://127.0.0.1:${port + 1}` };
  const dirs = await prepare(base, uris);
  const caFile = join(base, 'pki', 'ca.pem');
  const agent = new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } });
  const level = process.env['TANDEM_LOG_LEVEL'] ?? 'warn';
  const members: Member[] = [
    { name: 'Primary', args: ['start', '--config-dir', dirs.Primary.configDir, '--data-dir', dirs.Primary.dataDir, '--host', '127.0.0.1', '--https-port', String(port)] },
    { name: 'Backup', args: ['start', '--config-dir', dirs.Backup.configDir, '--data-dir', dirs.Backup.dataDir, '--host', '127.0.0.1', '--https-port', String(port + 1)] },
    { name: 'Watch', args: ['watch', '--config-dir', dirs.Watch.configDir, '--data-dir', dirs.Watch.dataDir, '--node', uris.Primary, '--node', uris.Backup] },
  ];
  let stopping = false;
  const childEnv = { ...process.env, TANDEM_LOG_FORMAT: logFormat() };
  const start = (m: Member): void => {
    // Own process groups: Ctrl-C reaches only this process, which stops the three once, in order.
    const child = spawn(process.execPath, [cli, ...m.args, '--log-level', level], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: childEnv });
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
  const running = (m: Member): boolean => m.child !== undefined && m.child.exitCode === null && m.child.signalCode === null;
  const [primary, backup, watch] = members as [Member, Member, Member];

  /** SIGTERM, then SIGKILL if it has not stopped within stopTimeoutMs; true when it stopped cleanly. */
  const stop = async (m: Member): Promise<boolean> => {
    if (!running(m)) return true;
    const exited = once(m.child!, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    m.child!.kill('SIGTERM');
    const timer = setTimeout(() => {
      process.stdout.write(`[${m.name}] did not stop within ${stopTimeoutMs / 1000} s; killing it\n`);
      m.child!.kill('SIGKILL');
    }, stopTimeoutMs);
    const [code] = await exited;
    clearTimeout(timer);
    return code === 0;
  };
  let clean = true;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    // The passive node first (the active lets it go with the watch's consent), then the active, then the watch:
    // each planned, so the next npm start couples again at once.
    const backupIsActive = await isActive(agent, uris.Backup);
    for (const m of backupIsActive ? [primary, backup, watch] : [backup, primary, watch]) clean = (await stop(m)) && clean;
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

  const api = (name: 'Primary' | 'Backup'): string => `${uris[name]}/controller/api`;
  const waitUntil = async (probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> => {
    const deadline = performance.now() + timeoutMs;
    while (!stopping && performance.now() < deadline) {
      if (await probe()) return true;
      await delay(200);
    }
    return false;
  };
  // One after the other, each once the one before answers: no one logs that the other is not there yet.
  start(backup);
  await waitUntil(async () => (await get(agent, api('Backup'))) !== undefined, 30_000);
  if (!stopping) start(primary);
  // Once the primary answers: the demo workflow and schedule (deploying them again changes nothing).
  const primaryUp = await waitUntil(async () => (await get(agent, api('Primary'))) !== undefined, 30_000);
  if (!stopping) start(watch);
  if (primaryUp) {
    await post(agent, `${api('Primary')}/command`, demoWorkflow);
    await post(agent, `${api('Primary')}/command`, demoSchedule);
  }
  const coupled = await waitUntil(async () => (await get(agent, `${api('Primary')}/cluster`))?.['TYPE'] === 'Coupled', 60_000);
  if (!stopping) {
    const pids = members.map((m) => `${m.name} ${String(m.child?.pid)}`).join(', ');
    process.stdout.write(
      [
        '',
        coupled ? 'Tandem: the local pair is Coupled.' : 'Tandem: the pair did not couple within a minute; see the lines above.',
        `  status pages: Primary ${uris.Primary}/   Backup ${uris.Backup}/`,
        `    (HTTPS from a local CA: your browser warns once; or trust ${caFile})`,
        `  data in ${base}; Ctrl-C stops all three, npm start resumes the same journals`,
        `  processes: ${pids}`,
        'A schedule adds a demo order every 10 s. Try:',
        `  npx tandem cluster status --url ${uris.Primary} --url ${uris.Backup} --ca ${caFile}`,
        `  curl -s --cacert ${caFile} -H 'content-type: application/json' -d '{"TYPE":"AddOrder","order":{"id":"my-1","workflowPath":"demo/hello","arguments":{"name":"you"}}}' ${api('Primary')}/command`,
        `  npx tandem cluster switchover --url ${uris.Primary} --url ${uris.Backup} --ca ${caFile}      # and again to switch back`,
        `  kill -9 <pid of the active node>      # the other takes over within seconds; the line printed then restarts the killed one`,
        '',
      ].join('\n'),
    );
  }
  await stopped;
  await agent.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return clean ? 0 : 1;
}
