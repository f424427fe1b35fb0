/**
 * Replication benchmark: committed AddOrder commands/s and latency at 1/16/64/256
 * concurrent writers on a standalone controller and on a coupled pair (both nodes
 * fsync, the commit waits for the backup's acknowledgement), measured side by side
 * in one run; then the catch-up rate of a backup that is far behind.
 *
 *   node dist/bench/replication-bench.js [--quick] [--no-save] [--profile] [--writers 1,16] [--catch-up-events N]
 *
 * The primary runs in this process (writers call it directly, so HTTP to clients is
 * not measured); the backup is a real `tandem start` child process reached over
 * HTTPS with mutual TLS. Writes bench/results/replication-<date>.{json,md}.
 * With --profile the backup runs under --cpu-prof, and where its time went (coupled
 * rows, then catch-up) is printed after the table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { createLogger } from '../src/common/index.js';
import { startNode, type RunningNode } from '../src/app.js';
import { inspectJournal } from '../src/journal/index.js';
import { createTestPki, type TestPki } from '../test/helpers/certificates.js';
import { startWatch, stopTandem, type TandemProcess } from '../test/helpers/tandem-process.js';
import { progress } from './bench-support.js';
import { summariseProfile } from './cpu-profile.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-save': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    /** Only these rows, e.g. `1,16` (for repeated before/after runs of the latency rows). */
    writers: { type: 'string' },
    /** How far the backup falls behind before the catch-up is timed; 0 skips it. */
    'catch-up-events': { type: 'string' },
  },
});
const quick = values.quick;
const save = !values['no-save'];
const profileDir = values.profile ? join(os.tmpdir(), `tandem-repl-profile-${process.pid}`) : undefined;
const seconds = quick ? 2 : 5;
const writerCounts = values.writers === undefined ? [1, 16, 64, 256] : values.writers.split(',').map(Number);
const catchUpEvents = Number(values['catch-up-events'] ?? (quick ? 100_000 : 1_000_000));
if (writerCounts.some((w) => !Number.isInteger(w) || w < 1) || !Number.isInteger(catchUpEvents) || catchUpEvents < 0) {
  throw new Error('--writers takes positive whole numbers separated by commas, --catch-up-events a whole number');
}

interface CatchUp {
  readonly events: number;
  /** From spawning the backup until it acknowledged the primary's last event. */
  readonly seconds: number;
  /** The same end, from the moment the backup said it was serving (its start and own recovery done). */
  readonly streamingSeconds: number;
}

interface Row {
  readonly setup: 'standalone' | 'coupled';
  readonly writers: number;
  readonly commandsPerSecond: number;
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function conf(name: string, extra: string): string {
  return [
    'js7.controller.id = "bench"',
    `js7.journal.cluster.node.is-backup = ${name === 'Backup' ? 'yes' : 'no'}`,
    'js7.web.https.certificate = "private/https.crt"',
    'js7.web.https.private-key = "private/https.key"',
    'js7.web.https.trusted-certificates = ["private/ca.crt"]',
    'js7.auth.cluster.password = "bench-secret"',
    'js7.auth.users.bench = "plain:bench-secret"',
    'js7.auth.users.admin { password = "plain:admin", permissions = [SuperPermission] }',
    extra,
  ].join('\n');
}

async function nodeDir(base: string, pki: TestPki, name: string, extra = ''): Promise<{ configDir: string; dataDir: string }> {
  const configDir = join(base, name, 'config');
  const dataDir = join(base, name, 'data');
  await mkdir(join(configDir, 'private'), { recursive: true });
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(configDir, 'controller.conf'), conf(name, extra));
  await copyFile(pki.node(name === 'Backup' ? 'Backup' : 'Primary').certificateFile, join(configDir, 'private/https.crt'));
  await copyFile(pki.node(name === 'Backup' ? 'Backup' : 'Primary').privateKeyFile, join(configDir, 'private/https.key'));
  await writeFile(join(configDir, 'private/ca.crt'), pki.ca.certificate);
  return { configDir, dataDir };
}

/** The cluster watch (coupling needs one): a child process with its own client certificate. */
async function startBenchWatch(base: string, pki: TestPki, nodeUris: readonly string[]): Promise<TandemProcess> {
  const configDir = join(base, 'Watch', 'config');
  const dataDir = join(base, 'Watch', 'data');
  await mkdir(join(configDir, 'private'), { recursive: true });
  await mkdir(dataDir, { recursive: true });
  const watchConf = [
    'js7.journal.cluster.watch.user = bench',
    'js7.journal.cluster.watch.password = "bench-secret"',
    'js7.web.https.certificate = "private/https.crt"',
    'js7.web.https.private-key = "private/https.key"',
    'js7.web.https.trusted-certificates = ["private/ca.crt"]',
  ];
  await writeFile(join(configDir, 'watch.conf'), watchConf.join('\n'));
  await copyFile(pki.node('Watch').certificateFile, join(configDir, 'private/https.crt'));
  await copyFile(pki.node('Watch').privateKeyFile, join(configDir, 'private/https.key'));
  await writeFile(join(configDir, 'private/ca.crt'), pki.ca.certificate);
  return startWatch(['--config-dir', configDir, '--data-dir', dataDir, ...nodeUris.flatMap((u) => ['--node', u])]);
}

const user = { userId: 'bench', permissions: new Set(['SuperPermission']) };
let orderSeq = 0;

/** Each writer adds orders in a loop for `seconds`; an order's AddOrder is answered after its commit. */
async function measure(node: RunningNode, setup: Row['setup'], writers: number): Promise<Row> {
  progress(`${setup}, ${writers} writers`);
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const eventsPerOrder = await countEventsPerOrder(node);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await node.controller.executeCommand({ TYPE: 'AddOrder', order: { id: `b-${orderSeq++}`, workflowPath: 'bench/finish' } }, user);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    setup,
    writers,
    commandsPerSecond: Math.round(latencies.length / elapsed),
    eventsPerSecond: Math.round((latencies.length * eventsPerOrder) / elapsed),
    p50Ms: Number(pct(0.5).toFixed(2)),
    p99Ms: Number(pct(0.99).toFixed(2)),
  };
}

/** How many events one AddOrder of the bench workflow journals (added, started, finished…). */
async function countEventsPerOrder(node: RunningNode): Promise<number> {
  const before = node.controller.overview().lastEventId;
  // The answer comes once the order's follow-up events (appended with it) are committed too.
  await node.controller.executeCommand({ TYPE: 'AddOrder', order: { id: `b-${orderSeq++}`, workflowPath: 'bench/finish' } }, user);
  const read = node.controller.readEvents(before, 1000);
  return read.TYPE === 'NonEmpty' ? read.stamped.length : 1;
}

async function startBackup(dirs: { configDir: string; dataDir: string }, port: number): Promise<ChildProcess> {
  const profiling = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const child = spawn(process.execPath, [...profiling, cli, 'start', '--config-dir', dirs.configDir, '--data-dir', dirs.dataDir, '--host', '127.0.0.1', '--https-port', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TANDEM_LOG_LEVEL: 'warn' },
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('tandem: serving')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`backup exited ${String(code)}: ${out}`)));
  });
  return child;
}

async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

async function main(): Promise<void> {
  const base = await mkdtemp(join(os.tmpdir(), 'tandem-repl-bench-'));
  const pki = await createTestPki({ nodes: ['Primary', 'Backup', 'Watch'] });
  const logger = createLogger({ level: 'warn' });
  const client = new Agent({ connect: { ca: pki.ca.certificate } });
  const rows: Row[] = [];
  const deploy = { TYPE: 'DeployWorkflow', workflow: { path: 'bench/finish', instructions: [{ TYPE: 'Finish' }] } };
  let backup: ChildProcess | undefined;
  let watch: TandemProcess | undefined;
  try {
    // Standalone, in the same run, for the ratio.
    const alone = await nodeDir(base, pki, 'Alone');
    const standalone = await startNode({ ...alone, host: '127.0.0.1', httpsPort: 0, logger, onStop: () => undefined });
    await standalone.controller.executeCommand(deploy, user);
    for (const w of writerCounts) rows.push(await measure(standalone, 'standalone', w));
    await standalone.close();

    const backupPort = 20_000 + Math.floor(Math.random() * 20_000);
    const primaryDirs = await nodeDir(base, pki, 'Primary');
    const backupDirs = await nodeDir(base, pki, 'Backup');
    const primary = await startNode({ ...primaryDirs, host: '127.0.0.1', httpsPort: 0, logger, onStop: () => undefined });
    backup = await startBackup(backupDirs, backupPort);
    const backupUri = `https://127.0.0.1:${backupPort}`;
    watch = await startBenchWatch(base, pki, [primary.url, backupUri]);
    await primary.controller.executeCommand({ TYPE: 'ClusterAppointNodes', idToUri: { Primary: primary.url, Backup: backupUri }, activeId: 'Primary' }, user);
    progress('appointing the pair');
    await waitUntil('Coupled', () => primary.controller.clusterView(false)['TYPE'] === 'Coupled', 30_000);
    await primary.controller.executeCommand(deploy, user);
    for (const w of writerCounts) rows.push(await measure(primary, 'coupled', w));

    let catchUp: CatchUp | undefined;
    if (catchUpEvents > 0) {
      progress('catch-up: stopping the backup');
      // Catch-up: the backup shuts down (PassiveLost), the primary writes on alone, the backup comes back.
      const auth = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
      const shutdown = await request(`${backupUri}/controller/api/command`, {
        method: 'POST',
        dispatcher: client,
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ TYPE: 'ShutDown' }),
      });
      if (shutdown.statusCode !== 200) throw new Error(`backup ShutDown: ${shutdown.statusCode} ${await shutdown.body.text()}`);
      await shutdown.body.dump();
      await once(backup, 'exit');
      backup = undefined;
      await waitUntil('PassiveLost', () => primary.controller.clusterView(false)['TYPE'] === 'PassiveLost', 10_000);
      const stateDir = join(primaryDirs.dataDir, 'state');
      const eventsBefore = (await inspectJournal(stateDir)).events;
      while ((await inspectJournal(stateDir)).events - eventsBefore < catchUpEvents) {
        await Promise.all(
          Array.from({ length: 256 }, async () => {
            for (let i = 0; i < 100; i++) {
              await primary.controller.executeCommand({ TYPE: 'AddOrder', order: { id: `c-${orderSeq++}`, workflowPath: 'bench/finish' } }, user);
            }
          }),
        );
      }
      const behind = (await inspectJournal(stateDir)).events - eventsBefore;
      progress(`catch-up: the backup is ${behind} events behind; starting it`);
      const target = primary.controller.overview().lastEventId;
      const t0 = performance.now();
      backup = await startBackup(backupDirs, backupPort);
      // From here the node has recovered its own journal and streams: the catch-up proper.
      const serving = performance.now();
      await waitUntil(
        'the backup to catch up',
        async () => {
          const r = await request(`${backupUri}/controller/api/cluster?return=ClusterNodeState`, { dispatcher: client, headers: { authorization: auth } });
          const body = (await r.body.json()) as { ackedEventId?: number };
          return (body.ackedEventId ?? 0) >= target;
        },
        600_000,
      );
      const end = performance.now();
      catchUp = { events: behind, seconds: (end - t0) / 1000, streamingSeconds: (end - serving) / 1000 };
    }
    await primary.close();
    backup.kill('SIGTERM');
    await once(backup, 'exit');
    backup = undefined;
    report(rows, catchUp);
    if (profileDir !== undefined) await printProfiles(profileDir);
  } finally {
    if (watch !== undefined) await stopTandem(watch, 'SIGTERM');
    backup?.kill('SIGKILL');
    await client.close();
    await pki.remove();
    await rm(base, { recursive: true, force: true });
  }
}

/** The backup's two runs (coupled rows, then catch-up): self time by code area and by function. */
async function printProfiles(dir: string): Promise<void> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  for (const [i, file] of files.entries()) {
    const p = await summariseProfile(join(dir, file), { from: 0, to: Number.POSITIVE_INFINITY }, 25);
    const lines = [`\n## Backup CPU profile ${i === 0 ? '(coupled rows)' : '(catch-up)'}: busy ${p.busyMs} ms of ${p.totalMs} ms`, ''];
    for (const a of p.areas) lines.push(`  ${a.percent.toFixed(1).padStart(5)}%  ${a.name}`);
    lines.push('');
    for (const f of p.topFunctions) lines.push(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  await rm(dir, { recursive: true, force: true });
}

function report(rows: readonly Row[], catchUp: CatchUp | undefined): void {
  const command = `node dist/bench/${process.argv.slice(1).map((a, i) => (i === 0 ? 'replication-bench.js' : a)).join(' ')}`;
  const machine = `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
  const lines = [
    `# Replication benchmark, ${new Date().toISOString().slice(0, 10)}${quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${machine}. Command: \`${command}\`. ${seconds} s per row; writers call the primary in-process; the backup is a child process over HTTPS with mutual TLS; both fsync.`,
    '',
    '| setup | writers | AddOrder/s | events/s | p50 ms | p99 ms | coupled ÷ standalone |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const alone = rows.find((x) => x.setup === 'standalone' && x.writers === r.writers);
      const ratio = r.setup === 'coupled' && alone !== undefined ? (r.commandsPerSecond / alone.commandsPerSecond).toFixed(2) : '';
      return `| ${r.setup} | ${r.writers} | ${r.commandsPerSecond} | ${r.eventsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${ratio} |`;
    }),
    '',
    catchUp === undefined
      ? 'Catch-up: not measured in this run.'
      : `Catch-up: a backup ${catchUp.events} events behind caught up in ${catchUp.streamingSeconds.toFixed(2)} s once it was serving = ${Math.round(catchUp.events / catchUp.streamingSeconds)} events/s; ${catchUp.seconds.toFixed(2)} s = ${Math.round(catchUp.events / catchUp.seconds)} events/s with the start of the child process and the recovery of its own journal.`,
    '',
  ];
  const md = lines.join('\n');
  process.stdout.write(md);
  if (!save) return;
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  const name = `replication-${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}`;
  void mkdir(dir, { recursive: true })
    .then(() => writeFile(join(dir, `${name}.md`), md))
    .then(() => writeFile(join(dir, `${name}.json`), `${JSON.stringify({ machine, command, rows, catchUp }, null, 2)}\n`));
}

await main();
