/**
 * Tandem against PostgreSQL (`npm run bench:compare`): a client request answered
 * only after a durable, synchronously replicated commit, over each system's own
 * client protocol, in one run on one machine.
 *
 * - Tandem: `AddOrder` over HTTPS (undici, kept-alive connections) to the Primary
 *   of a coupled pair of real processes (Primary + Backup + watch, mutual TLS
 *   between the nodes, both fsync, the commit waits for the backup's acknowledgement).
 * - PostgreSQL: pgbench inserting one row per transaction into a primary with one
 *   synchronous standby (`synchronous_commit = on`), over TLS as well.
 *
 * Both run at 1, 16 and 64 clients, alternately, each level for the same time,
 * for several rounds; the table shows medians and the Tandem ÷ PostgreSQL ratios
 * measured side by side. Then, at one client, where a Tandem request's time goes;
 * with --profile, CPU profiles of both Tandem nodes under load.
 *
 *   node dist/bench/compare-bench.js [--quick] [--rounds N] [--seconds S] [--profile] [--no-save]
 *
 * Writes bench/results/compare-<date>.{md,json}.
 */
import { open, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { createPair, type Pair } from '../test/helpers/pair.js';
import { createTestPki } from '../test/helpers/certificates.js';
import { commandOutput, machineInfo, median, progress, quantile, saveResults, today, type MachineInfo } from './bench-support.js';
import { monotonicMicros, summariseProfile, type ProfileSummary } from './cpu-profile.js';
import { startPostgresPair, type PostgresPair } from './postgres-pair.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-save': { type: 'boolean', default: false },
    label: { type: 'string' },
    /** Another build's dist/src/cli/main.js: its pair is measured too, side by side ("before" and "after"). */
    baseline: { type: 'string' },
  },
});
const quick = values.quick;
const rounds = Number(values.rounds ?? (quick ? 1 : 3));
const seconds = Number(values.seconds ?? (quick ? 3 : 10));
const warmupSeconds = Number(values.warmup ?? (quick ? 1 : 2));
const clientCounts = [1, 16, 64] as const;
/** The payload each request carries: the order's argument here, the row's body there. */
const payloadBytes = 200;
const workflowPath = 'bench/finish';

/** `tandem` is this build, `tandem-baseline` the build given with --baseline. */
type System = 'tandem' | 'tandem-baseline' | 'postgres';

interface Measurement {
  readonly system: System;
  readonly round: number;
  readonly clients: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

interface Figures {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Ratio {
  /** Medians of the per-round ratios (each round's figures were measured one after the other). */
  readonly throughput: number;
  readonly p50: number;
}

interface Summary {
  readonly clients: number;
  readonly figures: Partial<Record<System, Figures>>;
  /** Tandem ÷ PostgreSQL. */
  readonly tandemVsPostgres: Ratio;
  /** With --baseline: the baseline ÷ PostgreSQL, and this build ÷ the baseline. */
  readonly baselineVsPostgres?: Ratio;
  readonly tandemVsBaseline?: Ratio;
}

interface Breakdown {
  readonly fdatasyncP50Ms: number;
  /** Two files, each a small append + fdatasync: one after the other, and both at once (what overlapping the nodes' fsyncs can save). */
  readonly twoFdatasyncsInSequenceP50Ms: number;
  readonly twoFdatasyncsAtOnceP50Ms: number;
  readonly httpsGetP50Ms: number;
  readonly standaloneAddOrderP50Ms: number;
  readonly coupledAddOrderP50Ms: number;
  readonly baselineCoupledAddOrderP50Ms?: number;
  readonly eventsPerOrder: number;
}

/** A logged-in HTTPS client of one Tandem node. */
interface TandemClient {
  readonly origin: string;
  readonly ca: string;
  readonly session: string;
}

const round2 = (x: number): number => Number(x.toFixed(2));

async function login(pair: Pair): Promise<string> {
  const r = await pair.call(pair.primary, 'POST', '/session', { TYPE: 'Login' });
  const token = r.body['sessionToken'];
  if (r.status !== 200 || typeof token !== 'string') throw new Error(`login: ${r.status} ${JSON.stringify(r.body)}`);
  return token;
}

async function deployWorkflow(pair: Pair): Promise<void> {
  // The order's only instruction is Finish: it is added, started and finished in the same
  // commit and runs no job process, so what is measured is the commit, not a job.
  const r = await pair.call(pair.primary, 'POST', '/command', { TYPE: 'DeployWorkflow', workflow: { path: workflowPath, instructions: [{ TYPE: 'Finish' }] } });
  if (r.status !== 200) throw new Error(`deploy: ${r.status} ${JSON.stringify(r.body)}`);
}

/** `clients` loops sending requests made by `next` for `seconds`; latencies of the answered ones in ms, ascending. */
async function drive(
  client: TandemClient,
  clients: number,
  seconds: number,
  next: () => { method: 'GET' | 'POST'; path: string; body?: string },
): Promise<{ latencies: number[]; elapsedS: number; errors: number }> {
  const pool = new Pool(client.origin, { connections: clients, connect: { ca: client.ca }, keepAliveTimeout: 60_000 });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const headers = { 'x-js7-session': client.session, 'content-type': 'application/json' };
  try {
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < deadline) {
          const { method, path, body } = next();
          const t0 = performance.now();
          const res = await pool.request({ method, path, headers, ...(body === undefined ? {} : { body }) });
          const text = await res.body.text();
          if (res.statusCode === 200) latencies.push(performance.now() - t0);
          else {
            errors += 1;
            firstError ??= `${res.statusCode} ${text}`;
          }
        }
      }),
    );
    const elapsedS = (performance.now() - started) / 1000;
    if (firstError !== undefined) progress(`${errors} requests failed, the first with ${firstError}`);
    latencies.sort((a, b) => a - b);
    return { latencies, elapsedS, errors };
  } finally {
    await pool.close();
  }
}

let orderSeq = 0;
const payload = 'x'.repeat(payloadBytes);
const addOrder = (): { method: 'POST'; path: string; body: string } => ({
  method: 'POST',
  path: '/controller/api/command',
  body: JSON.stringify({ TYPE: 'AddOrder', order: { id: `cmp-${process.pid}-${orderSeq++}`, workflowPath, arguments: { body: payload } } }),
});

async function measureTandem(system: System, client: TandemClient, round: number, clients: number): Promise<Measurement> {
  progress(`round ${round}: ${system}, ${clients} clients`);
  await drive(client, clients, warmupSeconds, addOrder);
  const { latencies, elapsedS, errors } = await drive(client, clients, seconds, addOrder);
  return {
    system,
    round,
    clients,
    requests: latencies.length,
    requestsPerSecond: Math.round(latencies.length / elapsedS),
    p50Ms: round2(quantile(latencies, 0.5)),
    p99Ms: round2(quantile(latencies, 0.99)),
    errors,
  };
}

async function measurePostgres(pg: PostgresPair, round: number, clients: number): Promise<Measurement> {
  progress(`round ${round}: PostgreSQL, ${clients} clients`);
  await pg.pgbench(clients, warmupSeconds, false);
  const r = await pg.pgbench(clients, seconds, true);
  return {
    system: 'postgres',
    round,
    clients,
    requests: r.transactions,
    requestsPerSecond: Math.round(r.tps),
    p50Ms: round2(quantile(r.latenciesMs, 0.5)),
    p99Ms: round2(quantile(r.latenciesMs, 0.99)),
    errors: r.failed,
  };
}

function summarise(rows: readonly Measurement[]): Summary[] {
  return clientCounts.map((clients) => {
    const of = (system: System): Measurement[] => rows.filter((r) => r.system === system && r.clients === clients);
    const fig = (ms: Measurement[]): Figures => ({
      requestsPerSecond: Math.round(median(ms.map((m) => m.requestsPerSecond))),
      p50Ms: round2(median(ms.map((m) => m.p50Ms))),
      p99Ms: round2(median(ms.map((m) => m.p99Ms))),
    });
    const ratio = (a: System, b: System): Ratio => {
      const pairs = of(a).map((am) => ({ am, bm: of(b).find((x) => x.round === am.round)! }));
      return {
        throughput: round2(median(pairs.map(({ am, bm }) => am.requestsPerSecond / bm.requestsPerSecond))),
        p50: round2(median(pairs.map(({ am, bm }) => am.p50Ms / bm.p50Ms))),
      };
    };
    const figures: Partial<Record<System, Figures>> = {};
    for (const system of systems) figures[system] = fig(of(system));
    return {
      clients,
      figures,
      tandemVsPostgres: ratio('tandem', 'postgres'),
      ...(systems.includes('tandem-baseline') ? { baselineVsPostgres: ratio('tandem-baseline', 'postgres'), tandemVsBaseline: ratio('tandem', 'tandem-baseline') } : {}),
    };
  });
}

const systems: readonly System[] = values.baseline === undefined ? ['tandem', 'postgres'] : ['tandem', 'tandem-baseline', 'postgres'];

/**
 * Times in ms of `n` small appends each followed by fdatasync in `dir` (the filesystem both
 * systems' data live on): to one file, to two files one after the other, and to two at once.
 */
async function fdatasyncTimes(dir: string, n: number): Promise<{ one: number[]; sequence: number[]; atOnce: number[] }> {
  const files = [join(dir, `fdatasync-probe-${process.pid}-a`), join(dir, `fdatasync-probe-${process.pid}-b`)] as const;
  const a = await open(files[0], 'w');
  const b = await open(files[1], 'w');
  const chunk = Buffer.alloc(300, 1);
  const at = { a: 0, b: 0 };
  const append = async (handle: typeof a, key: 'a' | 'b'): Promise<void> => {
    await handle.write(chunk, 0, chunk.length, at[key]);
    at[key] += chunk.length;
    await handle.datasync();
  };
  const timed = async (op: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await op();
    return performance.now() - t0;
  };
  const times = { one: [] as number[], sequence: [] as number[], atOnce: [] as number[] };
  try {
    for (let i = 0; i < n; i++) {
      times.one.push(await timed(() => append(a, 'a')));
      times.sequence.push(await timed(async () => {
        await append(a, 'a');
        await append(b, 'b');
      }));
      times.atOnce.push(await timed(() => Promise.all([append(a, 'a'), append(b, 'b')])));
    }
  } finally {
    await a.close();
    await b.close();
    for (const f of files) await rm(f, { force: true });
  }
  return times;
}

/** How many events one AddOrder of the bench workflow journals. */
async function eventsPerOrder(pair: Pair): Promise<number> {
  const overview = await pair.call(pair.primary, 'GET', '');
  const last = overview.body['lastEventId'] as number;
  const id = `cmp-count-${process.pid}`;
  await pair.call(pair.primary, 'POST', '/command', { TYPE: 'AddOrder', order: { id, workflowPath, arguments: { body: payload } } });
  const r = await pair.call(pair.primary, 'GET', `/event?after=${last}&limit=100`);
  return ((r.body['stamped'] as unknown[] | undefined) ?? []).length;
}

/**
 * Where one request's time goes at one client: an fdatasync, HTTPS alone, a local
 * commit, a replicated commit — measured in short interleaved blocks, so that a
 * change in the machine's load touches every figure alike.
 */
async function breakdown(coupled: Pair, coupledClient: TandemClient, baselineClient: TandemClient | undefined): Promise<Breakdown> {
  progress('breakdown: fdatasync, HTTPS GET, standalone and coupled AddOrder at 1 client, interleaved');
  const events = await eventsPerOrder(coupled);
  const solo = await createPair({ timing: 'default' });
  try {
    await solo.start(solo.primary);
    await deployWorkflow(solo);
    const soloClient: TandemClient = { origin: solo.primary.uri, ca: solo.pki.ca.certificate, session: await login(solo) };
    await drive(soloClient, 1, warmupSeconds, addOrder);
    const blocks = quick ? 2 : 5;
    const blockS = Math.max(1, seconds / 5);
    const fsyncs: number[] = [];
    const fsyncPairs: number[] = [];
    const fsyncsAtOnce: number[] = [];
    const gets: number[] = [];
    const standalone: number[] = [];
    const coupledRuns: number[] = [];
    const baselineRuns: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const f = await fdatasyncTimes(os.tmpdir(), 40);
      fsyncs.push(...f.one);
      fsyncPairs.push(...f.sequence);
      fsyncsAtOnce.push(...f.atOnce);
      gets.push(...(await drive(coupledClient, 1, blockS, () => ({ method: 'GET', path: '/controller/api' }))).latencies);
      standalone.push(...(await drive(soloClient, 1, blockS, addOrder)).latencies);
      coupledRuns.push(...(await drive(coupledClient, 1, blockS, addOrder)).latencies);
      if (baselineClient !== undefined) baselineRuns.push(...(await drive(baselineClient, 1, blockS, addOrder)).latencies);
    }
    const p50 = (xs: number[]): number => round2(quantile(xs.sort((a, b) => a - b), 0.5));
    return {
      fdatasyncP50Ms: p50(fsyncs),
      twoFdatasyncsInSequenceP50Ms: p50(fsyncPairs),
      twoFdatasyncsAtOnceP50Ms: p50(fsyncsAtOnce),
      httpsGetP50Ms: p50(gets),
      standaloneAddOrderP50Ms: p50(standalone),
      coupledAddOrderP50Ms: p50(coupledRuns),
      ...(baselineClient === undefined ? {} : { baselineCoupledAddOrderP50Ms: p50(baselineRuns) }),
      eventsPerOrder: events,
    };
  } finally {
    await solo.cleanup();
  }
}

interface Profiled {
  readonly clients: number;
  readonly primary: ProfileSummary;
  readonly backup: ProfileSummary;
  readonly requestsPerSecond: number;
}

/** A fresh pair with `--cpu-prof` on both nodes, loaded at `clients` for `seconds`, stopped gracefully so the profiles are written. */
async function profile(clients: number): Promise<Profiled> {
  progress(`profile: Tandem, ${clients} clients, both nodes under --cpu-prof`);
  const dirs = { Primary: await mkdtemp(join(os.tmpdir(), 'tandem-prof-p-')), Backup: await mkdtemp(join(os.tmpdir(), 'tandem-prof-b-')) };
  const pair = await createPair({
    timing: 'default',
    execArgv: { Primary: ['--cpu-prof', `--cpu-prof-dir=${dirs.Primary}`], Backup: ['--cpu-prof', `--cpu-prof-dir=${dirs.Backup}`] },
  });
  try {
    await pair.couple();
    await deployWorkflow(pair);
    const client: TandemClient = { origin: pair.primary.uri, ca: pair.pki.ca.certificate, session: await login(pair) };
    await drive(client, clients, warmupSeconds, addOrder);
    const window = { from: monotonicMicros(), to: 0 };
    const run = await drive(client, clients, seconds, addOrder);
    window.to = monotonicMicros();
    await pair.kill(pair.watch, 'SIGTERM');
    await pair.kill(pair.primary, 'SIGTERM');
    await pair.kill(pair.backup, 'SIGTERM');
    const read = async (dir: string): Promise<ProfileSummary> => {
      const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
      if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
      return summariseProfile(join(dir, file), window);
    };
    return { clients, primary: await read(dirs.Primary), backup: await read(dirs.Backup), requestsPerSecond: Math.round(run.latencies.length / run.elapsedS) };
  } finally {
    await pair.cleanup();
    for (const d of Object.values(dirs)) await rm(d, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const command = `node dist/bench/compare-bench.js ${process.argv.slice(2).join(' ')}`.trim();
  const pki = await createTestPki({ nodes: ['Postgres'] });
  let pair: Pair | undefined;
  let baseline: Pair | undefined;
  let pg: PostgresPair | undefined;
  let stopping = false;
  const teardown = async (): Promise<void> => {
    await pg?.destroy();
    await pair?.cleanup();
    await baseline?.cleanup();
    await pki.remove();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    progress(`${signal}: tearing both clusters down`);
    void teardown().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    progress('starting PostgreSQL: primary and synchronous standby');
    pg = await startPostgresPair({ certificate: pki.node('Postgres').certificate, privateKey: pki.node('Postgres').privateKey, rowBytes: payloadBytes });
    const replication = await pg.replicationState();
    progress(`PostgreSQL ${pg.version}: replication ${replication}`);
    progress('starting Tandem: Primary, Backup and watch (default timing)');
    pair = await createPair({ timing: 'default' });
    await pair.couple();
    await deployWorkflow(pair);
    const client: TandemClient = { origin: pair.primary.uri, ca: pair.pki.ca.certificate, session: await login(pair) };
    let baselineClient: TandemClient | undefined;
    if (values.baseline !== undefined) {
      progress(`starting the baseline pair from ${values.baseline}`);
      baseline = await createPair({ timing: 'default', cli: values.baseline });
      await baseline.couple();
      await deployWorkflow(baseline);
      baselineClient = { origin: baseline.primary.uri, ca: baseline.pki.ca.certificate, session: await login(baseline) };
    }
    const machine = await machineInfo(os.tmpdir());
    const rows: Measurement[] = [];
    const measure = (system: System, round: number, clients: number): Promise<Measurement> => {
      switch (system) {
        case 'tandem':
          return measureTandem(system, client, round, clients);
        case 'tandem-baseline':
          return measureTandem(system, baselineClient!, round, clients);
        case 'postgres':
          return measurePostgres(pg!, round, clients);
        default: {
          const never: never = system;
          throw new Error(`unknown system ${String(never)}`);
        }
      }
    };
    for (let round = 1; round <= rounds; round++) {
      for (const clients of clientCounts) {
        // Rotate who goes first, so none always runs on a machine another just warmed (or heated).
        const order = systems.map((_, i) => systems[(i + round - 1) % systems.length]!);
        const these: Measurement[] = [];
        for (const system of order) these.push(await measure(system, round, clients));
        rows.push(...these);
        progress(these.map((m) => `${m.system} ${m.requestsPerSecond}/s p50 ${m.p50Ms} p99 ${m.p99Ms}`).join('; '));
      }
    }
    const split = await breakdown(pair, client, baselineClient);
    await pair.cleanup();
    pair = undefined;
    await baseline?.cleanup();
    baseline = undefined;
    await pg.destroy();
    const pgVersion = pg.version;
    pg = undefined;
    const profiles: Profiled[] = [];
    if (values.profile) for (const c of [1, 64]) profiles.push(await profile(c));
    const summary = summarise(rows);
    const device = machine.filesystem.split(' ')[0] ?? '';
    const lsblk = device.startsWith('/dev/') ? await commandOutput('lsblk', ['-d', '-n', '-o', 'NAME,ROTA,SIZE,MODEL', device]) : 'unknown';
    const md = report({ command, machine, pgVersion, replication, lsblk, rows, summary, split, profiles });
    process.stdout.write(md);
    if (!values['no-save']) {
      const name = `compare-${today()}${values.label === undefined ? '' : `-${values.label}`}${quick ? '-quick' : ''}`;
      const file = await saveResults(name, md, { command, machine, postgres: pgVersion, replication, disks: lsblk, rounds, seconds, warmupSeconds, payloadBytes, rows, summary, breakdown: split, profiles });
      progress(`wrote ${file}`);
    }
  } finally {
    if (!stopping) await teardown();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

interface ReportInput {
  readonly command: string;
  readonly machine: MachineInfo;
  readonly pgVersion: string;
  readonly replication: string;
  readonly lsblk: string;
  readonly rows: readonly Measurement[];
  readonly summary: readonly Summary[];
  readonly split: Breakdown;
  readonly profiles: readonly Profiled[];
}

const label: Record<System, string> = { tandem: 'Tandem', 'tandem-baseline': 'Tandem (baseline)', postgres: 'PostgreSQL' };

function summaryTable(summary: readonly Summary[]): string[] {
  const head = ['clients', ...systems.flatMap((sys) => [`${label[sys]} req/s`, 'p50 ms', 'p99 ms']), 'throughput T÷PG', 'p50 T÷PG'];
  const withBaseline = systems.includes('tandem-baseline');
  if (withBaseline) head.push('throughput baseline÷PG', 'p50 baseline÷PG', 'throughput T÷baseline', 'p50 T÷baseline');
  const rows = summary.map((x) => {
    const cells: (string | number)[] = [x.clients];
    for (const sys of systems) {
      const f = x.figures[sys];
      cells.push(f?.requestsPerSecond ?? '', f?.p50Ms ?? '', f?.p99Ms ?? '');
    }
    cells.push(`**${x.tandemVsPostgres.throughput}**`, `**${x.tandemVsPostgres.p50}**`);
    if (withBaseline) cells.push(x.baselineVsPostgres?.throughput ?? '', x.baselineVsPostgres?.p50 ?? '', x.tandemVsBaseline?.throughput ?? '', x.tandemVsBaseline?.p50 ?? '');
    return `| ${cells.join(' | ')} |`;
  });
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---:').join('|')}|`, ...rows];
}

function report(r: ReportInput): string {
  const m = r.machine;
  const s = r.split;
  const lines = [
    `# Tandem vs PostgreSQL: synchronously replicated commits, ${today()}${quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${m.cpuModel}, nproc ${m.cpus}, ${m.memoryGiB} GiB, kernel ${m.kernel}, Node ${m.node}, ${r.pgVersion}; load average at the end ${m.loadAverage.join(' ')}.`,
    `Temp dir (both systems' data): ${m.filesystem}; disk (lsblk NAME ROTA SIZE MODEL) ${r.lsblk.replace(/\s+/g, ' ')}.`,
    `Command: \`${r.command}\` (${rounds} round(s); per level ${warmupSeconds} s warm-up, then ${seconds} s measured; the systems alternate, who goes first rotating by round).`,
    ...(values.baseline === undefined ? [] : [`Baseline: a second coupled pair run from \`${values.baseline}\` (another build), measured in the same rounds.`]),
    '',
    `- **Tandem**: \`AddOrder\` over HTTPS (undici Pool, one kept-alive connection per client, session login) to the Primary of a coupled pair of real processes (Primary + Backup + \`tandem watch\`, mutual TLS between the nodes, default timing, both nodes fdatasync, the answer waits for the backup's acknowledgement). The order carries a ${payloadBytes}-byte argument; its workflow's only instruction is \`Finish\`, so the order is added, started and finished in the same commit (${s.eventsPerOrder} events in one group-committed write) and no job process runs: the CPU goes to the commit, not to jobs.`,
    `- **PostgreSQL**: pgbench, one \`INSERT INTO orders (id, body) VALUES ('o-' || nextval(…), repeat('x', ${payloadBytes}))\` per transaction (text primary key), over TCP with TLS (sslmode=require) to a primary with \`synchronous_commit = on\` and one synchronous standby (\`synchronous_standby_names\`, streaming over TLS: ${r.replication}); \`-c N -j min(N,2)\`; latencies from pgbench's per-transaction log, throughput is pgbench's tps without connection time.`,
    `- Both on 127.0.0.1, both systems' clients on the same 2 cores as the servers (Tandem's client is this Node process, one thread; pgbench uses up to 2 threads).`,
    '',
    ...summaryTable(r.summary),
    '',
    'Medians over the rounds; the ratios are medians of each round\'s side-by-side ratios (throughput: higher is better for Tandem; p50: lower is better for Tandem).',
    '',
    '<details><summary>Every measurement</summary>',
    '',
    '| round | clients | system | requests | req/s | p50 ms | p99 ms | errors |',
    '|---:|---:|---|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.round} | ${x.clients} | ${x.system} | ${x.requests} | ${x.requestsPerSecond} | ${x.p50Ms} | ${x.p99Ms} | ${x.errors} |`),
    '',
    '</details>',
    '',
    '## Where one Tandem request goes (1 client, p50)',
    '',
    '| measured | p50 ms |',
    '|---|---:|',
    `| fdatasync of a 300-byte append on this filesystem | ${s.fdatasyncP50Ms} |`,
    `| the same to two files, one after the other / both at once | ${s.twoFdatasyncsInSequenceP50Ms} / ${s.twoFdatasyncsAtOnceP50Ms} |`,
    `| HTTPS round trip of an authenticated GET (no commit) | ${s.httpsGetP50Ms} |`,
    `| AddOrder on a standalone node (HTTPS + local commit) | ${s.standaloneAddOrderP50Ms} |`,
    `| AddOrder on the coupled Primary (+ replication and acknowledgement) | ${s.coupledAddOrderP50Ms} |`,
    ...(s.baselineCoupledAddOrderP50Ms === undefined ? [] : [`| the same on the baseline build's coupled Primary | ${s.baselineCoupledAddOrderP50Ms} |`]),
    '',
    `Derived: local commit ≈ ${round2(s.standaloneAddOrderP50Ms - s.httpsGetP50Ms)} ms over the bare HTTPS round trip; replication to the acknowledgement ≈ ${round2(s.coupledAddOrderP50Ms - s.standaloneAddOrderP50Ms)} ms on top.`,
    '',
  ];
  for (const p of r.profiles) {
    lines.push(`## CPU profile, ${p.clients} client(s) (${p.requestsPerSecond} req/s while profiled)`, '');
    for (const [name, prof] of [
      ['Primary', p.primary],
      ['Backup', p.backup],
    ] as const) {
      lines.push(
        `**${name}**: ${prof.busyMs} ms busy of ${prof.totalMs} ms sampled (idle ${Math.round((100 * prof.idleMs) / Math.max(1, prof.totalMs))} %).`,
        '',
        '| self time by area | ms | % of busy |',
        '|---|---:|---:|',
        ...prof.areas.map((a) => `| ${a.name} | ${a.ms} | ${a.percent} |`),
        '',
        '| top functions by self time | ms | % of busy |',
        '|---|---:|---:|',
        ...prof.topFunctions.map((f) => `| \`${f.name.replace(/\|/g, '\\|')}\` | ${f.ms} | ${f.percent} |`),
        '',
      );
    }
  }
  return lines.join('\n');
}

await main();
