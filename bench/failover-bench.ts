/**
 * Failover benchmark (`npm run bench:failover`): a coupled pair and its watch as real
 * processes with the product's default timing, clients adding orders without pause, and
 * SIGKILL of whichever node is active, N times. Per trial: the time from the kill to the
 * new active's first committed event (its ClusterFailedOver, timed by its EventId), the
 * time to the first AddOrder it answered, and how many acknowledged orders are missing
 * afterwards. With --soak-minutes M it then runs M minutes of load with both cores kept
 * busy and counts epoch changes (spurious failovers). Writes bench/results/failover-<date>.{json,md}.
 *
 *   node dist/bench/failover-bench.js [--trials N] [--soak-minutes M] [--no-save]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { createPair, type Pair, type PairNode } from '../test/helpers/pair.js';
import { journalFiles, nodeState, waitForPassiveCoupled, waitUntilActive } from '../test/helpers/pair-checks.js';
import { waitFor } from '../test/helpers/wait.js';
import { progress, quantile } from './bench-support.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '50' },
    'soak-minutes': { type: 'string', default: '0' },
    'no-save': { type: 'boolean', default: false },
  },
});
const trials = Number(values.trials);
const soakMinutes = Number(values['soak-minutes']);
const clients = 4;
/** Each client's pause between orders: a steady load of about clients × 1000 / pauseMs orders per second. */
const pauseMs = 40;

interface Trial {
  readonly trial: number;
  readonly killed: string;
  /** Kill → the new active's ClusterFailedOver event (EventIds carry the wall-clock ms they were written in). */
  readonly toFirstEventMs: number;
  /** Kill → the first AddOrder the new active answered with 200. */
  readonly toFirstAnswerMs: number;
  readonly acknowledged: number;
  readonly lost: number;
}

/** Clients that add orders without pause to whichever node answers, remembering every acknowledged one. */
class Load {
  readonly acknowledged = new Set<string>();
  /** Who acknowledged each order, and when (ms since the start): evidence when one goes missing. */
  readonly ackedBy = new Map<string, string>();
  #target: PairNode;
  #seq = 0;
  #stopped = false;
  #running: Promise<void>[] = [];
  /** Set by the first 200 from `#watchFor` after `watch()`. */
  #watchFor: PairNode | undefined;
  #firstAnswerAt: number | undefined;

  constructor(
    private readonly pair: Pair,
    target: PairNode,
  ) {
    this.#target = target;
  }

  start(): void {
    for (let c = 0; c < clients; c++) this.#running.push(this.#client(c));
  }

  /** From now on, note when `node` first answers an AddOrder with 200. */
  watch(node: PairNode): void {
    this.#watchFor = node;
    this.#firstAnswerAt = undefined;
  }

  get firstAnswerAt(): number | undefined {
    return this.#firstAnswerAt;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#running);
  }

  async #client(c: number): Promise<void> {
    while (!this.#stopped) {
      const node = this.#target;
      const id = `load-${c}-${this.#seq++}`;
      let status = 0;
      try {
        status = (await this.pair.call(node, 'POST', '/command', { TYPE: 'AddOrder', order: { id, workflowPath: 'bench/finish' } })).status;
      } catch {
        status = 0;
      }
      if (status === 200) {
        this.acknowledged.add(id);
        this.ackedBy.set(id, `${node.name}@${Math.round(performance.now())}`);
        if (node === this.#watchFor && this.#firstAnswerAt === undefined) this.#firstAnswerAt = performance.now();
        await delay(pauseMs);
      } else {
        // Not (or no longer) the active node: try the other one after a moment.
        if (this.#target === node) this.#target = node === this.pair.primary ? this.pair.backup : this.pair.primary;
        await delay(10);
      }
    }
  }
}

async function activeNode(pair: Pair): Promise<PairNode> {
  return waitFor('an active node', async () => {
    for (const node of [pair.primary, pair.backup]) {
      if (node.process !== undefined && (await pair.call(node, 'GET', '/health/active')).status === 200) return node;
    }
    return undefined;
  });
}

/** Wall-clock ms of the first ClusterFailedOver event the node committed after `after`. */
async function failedOverAt(pair: Pair, node: PairNode, after: number): Promise<number> {
  const r = await pair.call(node, 'GET', `/event?after=${after}&limit=10000`);
  const stamped = (r.body['stamped'] as { eventId: number; TYPE: string }[] | undefined) ?? [];
  const event = stamped.find((e) => e.TYPE === 'ClusterFailedOver');
  if (event === undefined) throw new Error(`no ClusterFailedOver on ${node.name} after ${after}`);
  return Math.floor(event.eventId / 1000);
}

async function missing(pair: Pair, node: PairNode, load: Load): Promise<number> {
  // Taken before asking: the load goes on, and what is acknowledged after the answer cannot be in it.
  const acknowledged = [...load.acknowledged];
  const r = await pair.call(node, 'GET', '/order');
  const ids = new Set((r.body['orders'] as { id: string }[]).map((o) => o.id));
  const lost = acknowledged.filter((id) => !ids.has(id));
  if (lost.length > 0) {
    // Evidence for hunting the cause: who answered, and which journal holds the order's bytes.
    for (const id of lost) {
      const holders: string[] = [];
      for (const n of [pair.primary, pair.backup]) {
        for (const [file, bytes] of await journalFiles(n)) if (bytes.includes(id)) holders.push(`${n.name}/${file}`);
      }
      progress(`LOST ${id}: acknowledged by ${load.ackedBy.get(id) ?? '?'}; in journals: ${holders.join(', ') || 'none'}; now ${Math.round(performance.now())}`);
    }
  }
  return lost.length;
}

async function runTrials(pair: Pair, load: Load): Promise<Trial[]> {
  const results: Trial[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    const victim = await activeNode(pair);
    const survivor = victim === pair.primary ? pair.backup : pair.primary;
    await waitForPassiveCoupled(pair, survivor, 60_000);
    // Steady load before the kill: a few hundred acknowledged orders.
    const before = load.acknowledged.size;
    await waitFor('orders flowing', () => (load.acknowledged.size >= before + 50 ? true : undefined), 30_000);
    const lastEventId = (await nodeState(pair, survivor))['ackedEventId'] as number;
    load.watch(survivor);
    const killedAtWall = Date.now();
    const killedAt = performance.now();
    await pair.kill(victim, 'SIGKILL');
    await waitUntilActive(pair, survivor, 60_000);
    const answeredAt = await waitFor('the new active to answer an AddOrder', () => load.firstAnswerAt, 30_000);
    const eventAt = await failedOverAt(pair, survivor, lastEventId);
    const lost = await missing(pair, survivor, load);
    const result: Trial = {
      trial,
      killed: victim.name,
      toFirstEventMs: eventAt - killedAtWall,
      toFirstAnswerMs: Math.round(answeredAt - killedAt),
      acknowledged: load.acknowledged.size,
      lost,
    };
    results.push(result);
    if (lost > 0 && process.env['TANDEM_BENCH_STOP_ON_LOSS'] !== undefined) throw new Error(`trial ${trial} lost ${lost} acknowledged orders`);
    progress(`trial ${trial}: killed ${victim.name}; first event after ${result.toFirstEventMs} ms, first answer after ${result.toFirstAnswerMs} ms; lost ${lost}`);
    await pair.start(victim);
    await waitForPassiveCoupled(pair, victim, 60_000);
  }
  return results;
}

/** Both cores busy with spinning processes, the load running: how many times does the epoch change by itself? */
async function soak(pair: Pair, minutes: number): Promise<{ minutes: number; epochChanges: number; acknowledged: number }> {
  const spinners: ChildProcess[] = Array.from({ length: os.cpus().length }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  try {
    const start = (await nodeState(pair, await activeNode(pair)))['epoch'] as number;
    const load = new Load(pair, await activeNode(pair));
    load.start();
    const deadline = performance.now() + minutes * 60_000;
    let epoch = start;
    while (performance.now() < deadline) {
      await delay(5_000);
      for (const node of [pair.primary, pair.backup]) epoch = Math.max(epoch, ((await nodeState(pair, node))['epoch'] as number) ?? 0);
      progress(`soak: epoch ${epoch}, ${load.acknowledged.size} orders acknowledged`);
    }
    await load.stop();
    return { minutes, epochChanges: epoch - start, acknowledged: load.acknowledged.size };
  } finally {
    for (const s of spinners) s.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const pair = await createPair({ timing: 'default' });
  try {
    progress('starting the pair and its watch (default timing: heartbeat 500 ms, timeout 2.5 s)');
    await pair.couple();
    const deploy = await pair.call(pair.primary, 'POST', '/command', { TYPE: 'DeployWorkflow', workflow: { path: 'bench/finish', instructions: [{ TYPE: 'Finish' }] } });
    if (deploy.status !== 200) throw new Error(`deploy: ${JSON.stringify(deploy.body)}`);
    const load = new Load(pair, pair.primary);
    load.start();
    const results = await runTrials(pair, load);
    await load.stop();
    const soaked = soakMinutes > 0 ? await soak(pair, soakMinutes) : undefined;
    await report(results, soaked);
  } finally {
    await pair.cleanup();
  }
}

async function report(results: readonly Trial[], soaked: { minutes: number; epochChanges: number; acknowledged: number } | undefined): Promise<void> {
  const firstEvent = results.map((r) => r.toFirstEventMs).sort((a, b) => a - b);
  const firstAnswer = results.map((r) => r.toFirstAnswerMs).sort((a, b) => a - b);
  const lost = results.reduce((n, r) => n + r.lost, 0);
  const machine = `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
  const command = `node dist/bench/failover-bench.js --trials ${trials}${soakMinutes > 0 ? ` --soak-minutes ${soakMinutes}` : ''}`;
  const row = (name: string, v: readonly number[]): string => `| ${name} | ${quantile(v, 0.5)} | ${quantile(v, 0.99)} | ${v[v.length - 1]} |`;
  const md = [
    `# Failover benchmark, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Machine: ${machine}. Command: \`${command}\`. Default timing (heartbeat 500 ms, heartbeat-timeout 2.5 s); ${clients} clients adding orders over HTTPS, each pausing ${pauseMs} ms after an answer (a steady load of about ${Math.round((clients * 1000) / pauseMs)} orders/s, which retries on the other node when refused); SIGKILL of the active node, which is restarted and rejoins before the next trial.`,
    '',
    ...(results.length === 0
      ? []
      : [
          `| ${results.length} trials, ms from SIGKILL | p50 | p99 | max |`,
          '|---|---:|---:|---:|',
          row("to the new active's first committed event (ClusterFailedOver)", firstEvent),
          row('to its first answered AddOrder', firstAnswer),
          '',
          `Acknowledged orders: ${results[results.length - 1]?.acknowledged ?? 0}; lost: **${lost}**.`,
        ]),
    ...(soaked === undefined
      ? []
      : ['', `Soak: ${soaked.minutes} min with every core kept busy by spinning processes and the load running: ${soaked.epochChanges} epoch changes (spurious failovers), ${soaked.acknowledged} orders acknowledged.`]),
    '',
  ].join('\n');
  process.stdout.write(md);
  if (values['no-save']) return;
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const name = `failover-${new Date().toISOString().slice(0, 10)}${results.length === 0 ? '-soak' : ''}`;
  await writeFile(join(dir, `${name}.md`), md);
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify({ machine, command, trials: results, soak: soaked }, null, 2)}\n`);
}

await main();
