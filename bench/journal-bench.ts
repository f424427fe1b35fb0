/**
 * Journal benchmark: raw fdatasync floor, group-commit throughput and latency at
 * 1/16/64/256 concurrent writers, and recovery time of a 1M-event journal.
 *
 *   node dist/bench/journal-bench.js [--quick] [--dir DIR] [--no-save]
 *
 * (`--recover DIR array|sink` is the child mode that times one recovery.)
 * Writes bench/results/journal-<date>.{json,md} unless --no-save.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger, systemClock } from '../src/common/index.js';
import { encodeFrame, Journal, type JournalOptions } from '../src/journal/index.js';

interface Args {
  readonly quick: boolean;
  readonly dir: string;
  readonly save: boolean;
}

interface WriterResult {
  readonly writers: number;
  readonly seconds: number;
  readonly commits: number;
  readonly commitsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly durableWrites: number;
  readonly eventsPerSync: number;
}

const TARGETS = { singleWriterPerSecond: 4000, writers256PerSecond: 150_000, replaySeconds: 3 };

function parseArgs(argv: readonly string[]): Args {
  const dirAt = argv.indexOf('--dir');
  return { quick: argv.includes('--quick'), dir: (dirAt >= 0 ? argv[dirAt + 1] : undefined) ?? os.tmpdir(), save: !argv.includes('--no-save') };
}

/** An event of about 200 bytes once stamped and framed. */
function benchEvent(i: number): Record<string, unknown> {
  return {
    TYPE: 'OrderStdoutWritten',
    orderId: `order-${String(i % 100_000).padStart(6, '0')}`,
    workflowPath: 'bench/hello-world',
    position: [2, 'then', 1],
    chunk: 'The quick brown fox jumps over the lazy dog, twice over.',
    seq: i,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

function options(dir: string, sync: boolean): JournalOptions {
  return {
    dir,
    sync,
    rotateBytes: 4 * 1024 * 1024 * 1024,
    rotateAgeMs: 24 * 3600 * 1000,
    clock: systemClock,
    logger: silentLogger(),
    snapshot: () => [{ TYPE: 'BenchState', note: 'snapshot placeholder' }],
  };
}

/** `writeSync` + `fdatasyncSync` of one ~200-byte record at a time: what one disk sync costs. */
function rawFloor(dir: string, seconds: number): { perSecond: number; p50Ms: number; p99Ms: number } {
  const fd = openSync(join(dir, 'raw-floor.bin'), 'w');
  const record = Buffer.alloc(200, 0x61);
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  try {
    for (let now = start; now < end; ) {
      writeSync(fd, record);
      fdatasyncSync(fd);
      const after = performance.now();
      latencies.push(after - now);
      now = after;
    }
  } finally {
    closeSync(fd);
  }
  const sorted = Float64Array.from(latencies).sort();
  return { perSecond: latencies.length / ((performance.now() - start) / 1000), p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
}

async function concurrentWriters(parent: string, writers: number, seconds: number): Promise<WriterResult> {
  const dir = await mkdtemp(join(parent, `writers-${writers}-`));
  const { journal } = await Journal.open(options(dir, true));
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  let seq = 0;
  const writer = async (): Promise<void> => {
    while (performance.now() < end) {
      const before = performance.now();
      await journal.append([benchEvent(seq++)]).committed;
      latencies.push(performance.now() - before);
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  const elapsed = (performance.now() - start) / 1000;
  const stats = journal.stats();
  await journal.close();
  await rm(dir, { recursive: true, force: true });
  const sorted = Float64Array.from(latencies).sort();
  return {
    writers,
    seconds: elapsed,
    commits: latencies.length,
    commitsPerSecond: latencies.length / elapsed,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    durableWrites: stats.syncs,
    eventsPerSync: stats.appends / Math.max(1, stats.syncs),
  };
}

interface ReplayResult {
  readonly events: number;
  readonly bytes: number;
  readonly writeSeconds: number;
  /** `Journal.open` returning every event in `Recovered.events`. */
  readonly openSeconds: number[];
  /** `Journal.open` handing events to a replay sink that counts them. */
  readonly sinkSeconds: number[];
}

async function replay(parent: string, events: number): Promise<ReplayResult> {
  const dir = await mkdtemp(join(parent, 'replay-'));
  const writeStart = performance.now();
  const { journal } = await Journal.open(options(dir, false));
  for (let i = 0; i < events; i += 1) {
    const ticket = journal.append([benchEvent(i)]);
    // Bound the queue so the writer, not memory, sets the pace.
    if (i % 10_000 === 9_999) await ticket.committed;
  }
  const bytes = (await journal.files()).reduce((sum, f) => sum + f.bytes, 0);
  await journal.close();
  const writeSeconds = (performance.now() - writeStart) / 1000;
  // Each recovery runs in a fresh process, as a restarting controller does: an
  // earlier run's garbage in this heap would slow the next one's collector.
  const openSeconds: number[] = [];
  const sinkSeconds: number[] = [];
  for (let run = 0; run < 3; run += 1) {
    openSeconds.push(timeRecoveryInChild(dir, 'array', events));
    sinkSeconds.push(timeRecoveryInChild(dir, 'sink', events));
  }
  await rm(dir, { recursive: true, force: true });
  return { events, bytes, writeSeconds, openSeconds, sinkSeconds };
}

function timeRecoveryInChild(dir: string, mode: 'array' | 'sink', events: number): number {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--recover', dir, mode], { encoding: 'utf8' });
  const match = /^recovered (\d+) in ([\d.]+) s$/m.exec(child.stdout);
  if (child.status !== 0 || match === null || Number(match[1]) !== events) {
    throw new Error(`recovery child failed (${String(child.status)}): ${child.stdout}${child.stderr}`);
  }
  return Number(match[2]);
}

/** Child mode: time one `Journal.open` of `dir`, keeping events in an array or folding them in a sink. */
async function recoverOnce(dir: string, mode: string): Promise<void> {
  let folded = 0;
  const sink = {
    snapshot: (): void => undefined,
    events: (batch: readonly { event: unknown }[]): void => {
      folded += batch.length;
    },
  };
  const before = performance.now();
  const { journal, recovered } = await Journal.open({ ...options(dir, false), ...(mode === 'sink' ? { replay: sink } : {}) });
  const seconds = (performance.now() - before) / 1000;
  await journal.close();
  process.stdout.write(`recovered ${mode === 'sink' ? folded : recovered.events.length} in ${seconds.toFixed(3)} s\n`);
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

type Verdict = boolean | 'not measured';

interface BenchResult {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly machine: Readonly<Record<string, string | number>>;
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly recordBytes: number;
  readonly event: Record<string, unknown>;
  readonly targets: typeof TARGETS;
  readonly verdicts: Readonly<Record<'singleWriter' | 'writers256' | 'replay1M', Verdict>>;
  readonly rawFloor: { perSecond: number; p50Ms: number; p99Ms: number };
  readonly writers: readonly WriterResult[];
  readonly replay: ReplayResult & { readonly medianSeconds: number; readonly sinkMedianSeconds: number };
}

function machineInfo(args: Args): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    command: `node dist/bench/journal-bench.js ${process.argv.slice(2).join(' ')}`.trim(),
    dir: args.dir,
  };
}

const verdictText = (v: Verdict): string => (v === true ? 'met' : v === false ? 'MISSED' : v);

async function main(): Promise<void> {
  const [flag, recoverDir, recoverMode] = process.argv.slice(2);
  if (flag === '--recover' && recoverDir !== undefined && recoverMode !== undefined) return recoverOnce(recoverDir, recoverMode);
  const args = parseArgs(process.argv.slice(2));
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const loadAtStart = os.loadavg();
  const parent = await mkdtemp(join(args.dir, 'tandem-journal-bench-'));
  let result: BenchResult;
  try {
    const recordBytes = encodeFrame([{ eventId: 1_767_225_600_000_000, event: benchEvent(123_456) }]).length;
    out(`journal bench (${args.quick ? 'quick' : 'full'}), record ${recordBytes} bytes framed, load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
    const floor = rawFloor(parent, args.quick ? 1 : 3);
    out(`raw floor: ${fmt(floor.perSecond)} writeSync+fdatasyncSync/s, p50 ${fmt(floor.p50Ms, 2)} ms, p99 ${fmt(floor.p99Ms, 2)} ms`);
    const writers: WriterResult[] = [];
    for (const count of [1, 16, 64, 256]) {
      const run = await concurrentWriters(parent, count, args.quick ? 1 : 5);
      writers.push(run);
      out(
        `${String(count).padStart(3)} writers: ${fmt(run.commitsPerSecond).padStart(9)} events/s, ` +
          `p50 ${fmt(run.p50Ms, 2)} ms, p99 ${fmt(run.p99Ms, 2)} ms, ${fmt(run.eventsPerSync, 1)} events per durable write`,
      );
    }
    const rp = await replay(parent, args.quick ? 100_000 : 1_000_000);
    const replayed = { ...rp, medianSeconds: median(rp.openSeconds), sinkMedianSeconds: median(rp.sinkSeconds) };
    out(`replay: ${fmt(rp.events)} events (${fmt(rp.bytes / 1048576, 1)} MiB) recovered in ${fmt(replayed.medianSeconds, 2)} s (runs ${rp.openSeconds.map((x) => fmt(x, 2)).join(', ')}); written in ${fmt(rp.writeSeconds, 1)} s`);
    out(`replay into a sink instead of the events array: ${fmt(replayed.sinkMedianSeconds, 2)} s (runs ${rp.sinkSeconds.map((x) => fmt(x, 2)).join(', ')})`);
    const single = writers.find((r) => r.writers === 1)?.commitsPerSecond ?? 0;
    const many = writers.find((r) => r.writers === 256)?.commitsPerSecond ?? 0;
    result = {
      date: new Date().toISOString().slice(0, 10),
      mode: args.quick ? 'quick' : 'full',
      machine: machineInfo(args),
      loadAverage: { start: loadAtStart, end: os.loadavg() },
      recordBytes,
      event: benchEvent(0),
      targets: TARGETS,
      verdicts: {
        singleWriter: single >= TARGETS.singleWriterPerSecond,
        writers256: many >= TARGETS.writers256PerSecond,
        replay1M: rp.events === 1_000_000 ? replayed.medianSeconds <= TARGETS.replaySeconds : 'not measured',
      },
      rawFloor: floor,
      writers,
      replay: replayed,
    };
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
  const v = result.verdicts;
  out(`targets: single writer ≥ ${fmt(TARGETS.singleWriterPerSecond)}/s ${verdictText(v.singleWriter)}; 256 writers ≥ ${fmt(TARGETS.writers256PerSecond)}/s ${verdictText(v.writers256)}; 1M replay ≤ ${TARGETS.replaySeconds} s ${verdictText(v.replay1M)}`);
  if (!args.save) return;
  const resultsDir = join(process.cwd(), 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, `journal-${result.date}.json`), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(resultsDir, `journal-${result.date}.md`), markdown(result));
  out(`wrote bench/results/journal-${result.date}.json and .md`);
}

function markdown(r: BenchResult): string {
  const m = r.machine;
  const load = (xs: readonly number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
  return [
    `# Journal benchmark, ${r.date} (${r.mode})`,
    '',
    `Machine: ${m['cpuModel']} × ${m['cpuCount']}, ${m['memoryGiB']} GiB, ${m['os']}, Node ${m['node']}; ` +
      `load average ${load(r.loadAverage.start)} at start, ${load(r.loadAverage.end)} at end (a shared machine).`,
    `Command: \`${m['command']}\` (temp dir under ${m['dir']}).`,
    `Event: \`${JSON.stringify(r.event)}\`, ${r.recordBytes} bytes as a framed record.`,
    '',
    '| run | events/s | p50 ms | p99 ms | events per durable write |',
    '|---|---:|---:|---:|---:|',
    `| raw floor: writeSync + fdatasyncSync of 200 B | ${fmt(r.rawFloor.perSecond)} | ${fmt(r.rawFloor.p50Ms, 2)} | ${fmt(r.rawFloor.p99Ms, 2)} | 1 |`,
    ...r.writers.map((w) => `| Journal, sync on, ${w.writers} writer(s) | ${fmt(w.commitsPerSecond)} | ${fmt(w.p50Ms, 2)} | ${fmt(w.p99Ms, 2)} | ${fmt(w.eventsPerSync, 1)} |`),
    '',
    `Replay: ${fmt(r.replay.events)} events, one record each (${fmt(r.replay.bytes / 1048576, 1)} MiB), recovered by \`Journal.open\` ` +
      `in ${fmt(r.replay.medianSeconds, 2)} s (median of ${r.replay.openSeconds.map((x) => fmt(x, 2)).join(', ')} s); ` +
      `with a replay sink instead of the events array in ${fmt(r.replay.sinkMedianSeconds, 2)} s (median of ${r.replay.sinkSeconds.map((x) => fmt(x, 2)).join(', ')} s).`,
    '',
    `Targets: single writer ≥ ${fmt(r.targets.singleWriterPerSecond)}/s ${verdictText(r.verdicts.singleWriter)}; ` +
      `256 writers ≥ ${fmt(r.targets.writers256PerSecond)}/s ${verdictText(r.verdicts.writers256)}; ` +
      `1M-event replay ≤ ${r.targets.replaySeconds} s ${verdictText(r.verdicts.replay1M)}.`,
    '',
  ].join('\n');
}

await main();
