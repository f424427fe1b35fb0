/**
 * Journal recovery benchmark (`npm run bench:recovery`): how long opening a journal of N
 * events takes — the scan that checks every record, and the scan with every event parsed
 * and applied to the state, which is what a node does at start and what a passive does
 * when it takes over (so it is part of the failover time). Writes
 * bench/results/recovery-<date>.{json,md}.
 *
 *   node dist/bench/recovery-bench.js [--quick] [--no-save]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, systemClock, type EventId } from '../src/common/index.js';
import { Journal, type JournalOptions } from '../src/journal/index.js';
import { applyEvent, emptyState, fromSnapshot, parseEvent, toSnapshot, type ControllerState, type Event } from '../src/state/index.js';

const quick = process.argv.includes('--quick');
const save = !process.argv.includes('--no-save');
const sizes = quick ? [30_000, 100_000] : [100_000, 300_000, 1_000_000];
const rounds = quick ? 1 : 3;
const logger = createLogger({ level: 'warn' });

interface Row {
  readonly events: number;
  readonly journalMiB: number;
  readonly scanMs: number;
  readonly replayMs: number;
}

function options(dir: string, state: () => ControllerState): JournalOptions {
  return { dir, sync: false, rotateBytes: 1e12, rotateAgeMs: 1e12, clock: systemClock, logger, snapshot: () => toSnapshot(state()) };
}

/** A journal of `n` events: one workflow, then orders added, started and finished, 3 events per commit. */
async function writeJournal(dir: string, n: number): Promise<number> {
  const state = emptyState();
  const { journal } = await Journal.open(options(dir, () => state));
  const workflow: Event = { TYPE: 'WorkflowDeployed', workflow: { path: 'bench/w', versionId: 1, instructions: [{ TYPE: 'Finish' }] } } as Event;
  let last = journal.append([workflow]);
  for (let i = 0; i < n; i += 3) {
    const orderId = `order-${i}`;
    last = journal.append([
      { TYPE: 'OrderAdded', orderId, workflowPath: 'bench/w', workflowVersion: 1, arguments: {} },
      { TYPE: 'OrderStarted', orderId },
      { TYPE: 'OrderFinished', orderId },
    ] as Event[]);
    if (i % 30_000 === 0) await last.committed;
  }
  await last.committed;
  const bytes = journal.position().synced;
  await journal.close();
  return bytes;
}

async function timeOpen(dir: string, replay: boolean): Promise<number> {
  let state = emptyState();
  const t0 = performance.now();
  const { journal } = await Journal.open({
    ...options(dir, () => state),
    replay: replay
      ? {
          snapshot: (records) => {
            state = records.length === 0 ? emptyState() : fromSnapshot(records);
          },
          events: (batch) => {
            for (const s of batch) applyEvent(state, { eventId: s.eventId as EventId, event: parseEvent(s.event) });
          },
        }
      : { snapshot: () => undefined, events: () => undefined },
  });
  const ms = performance.now() - t0;
  await journal.close();
  return ms;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const n of sizes) {
    const dir = await mkdtemp(join(os.tmpdir(), 'tandem-recovery-bench-'));
    try {
      const bytes = await writeJournal(dir, n);
      const scans: number[] = [];
      const replays: number[] = [];
      for (let r = 0; r < rounds; r++) {
        scans.push(await timeOpen(dir, false));
        replays.push(await timeOpen(dir, true));
      }
      rows.push({ events: n, journalMiB: Number((bytes / 2 ** 20).toFixed(1)), scanMs: Math.round(median(scans)), replayMs: Math.round(median(replays)) });
      process.stderr.write(`${n} events done\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const machine = `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
  const command = `node dist/bench/recovery-bench.js${quick ? ' --quick' : ''}`;
  const md = [
    `# Journal recovery benchmark, ${new Date().toISOString().slice(0, 10)}${quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${machine}. Command: \`${command}\`. Median of ${rounds} opens per row; one journal file (no snapshot since the start), 3 events per commit.`,
    '',
    '| events | journal MiB | open, scan only (ms) | open with parse + apply (ms) |',
    '|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.events} | ${r.journalMiB} | ${r.scanMs} | ${r.replayMs} |`),
    '',
  ].join('\n');
  process.stdout.write(md);
  if (!save) return;
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const name = `recovery-${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}`;
  await writeFile(join(dir, `${name}.md`), md);
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify({ machine, command, rows }, null, 2)}\n`);
}

await main();
