import type { ChildProcess } from 'node:child_process';
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Pair, PairNode } from '../helpers/pair.js';
import type { ProxyDirection, TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';
import { callNode } from './client.js';
import type { History, NodeName } from './history.js';
import type { Rng } from './prng.js';

/** The kinds of fault the nemesis applies. */
export const FAULT_KINDS = [
  'kill-active',
  'kill-passive',
  'kill-watch',
  'pause-active',
  'pause-passive',
  'isolate-node',
  'partition-nodes',
  'block-one-way',
  'stall-one-way',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One fault, drawn in full before it is applied, so the draws do not depend on how the pair behaves. */
interface FaultPlan {
  readonly kind: FaultKind;
  readonly holdMs: number;
  /** Which node, when the roles cannot be told (both silent). */
  readonly side: NodeName;
  /** For a kill of a node: append a torn record to its journal before restarting it. */
  readonly torn: 'none' | 'short' | 'partial' | 'bad-crc';
  readonly tornBytes: Buffer;
  readonly proxy: keyof NonNullable<Pair['net']>;
  readonly direction: ProxyDirection;
  /** After undoing the fault: wait (bounded) for the pair to couple again, or just a gap. */
  readonly awaitCoupled: boolean;
  readonly gapMs: number;
}

function planFault(rng: Rng): FaultPlan {
  const kind = rng.pick(FAULT_KINDS);
  const holdRoll = rng.next();
  const side = rng.pick(['Primary', 'Backup'] as const);
  const torn = rng.pick(['none', 'none', 'short', 'partial', 'bad-crc'] as const);
  const tornBytes = tornRecord(rng, torn);
  const proxy = rng.pick(['toPrimary', 'toBackup', 'watchToPrimary', 'watchToBackup'] as const);
  const direction = rng.pick(['toTarget', 'fromTarget'] as const);
  const awaitCoupled = rng.chance(0.5);
  const gapMs = rng.int(200, 800);
  // Pauses and partitions outlast the 2 s heartbeat timeout of the fast timing, so they force a decision.
  const [lo, hi] = kind.startsWith('kill') ? [300, 2000] : kind.startsWith('pause') ? [2300, 3500] : [2300, 4000];
  return { kind, holdMs: Math.round(lo + holdRoll * (hi - lo)), side, torn, tornBytes, proxy, direction, awaitCoupled, gapMs };
}

/** Bytes a crash could leave at the end of a journal file: fewer than a frame header, a frame cut short, or a whole frame with a wrong CRC. */
function tornRecord(rng: Rng, torn: FaultPlan['torn']): Buffer {
  const random = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => rng.int(0, 255)));
  const length = rng.int(16, 300);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(length, 0);
  header.writeUInt32BE(rng.int(0, 0xffffffff), 4);
  switch (torn) {
    case 'none':
      return Buffer.alloc(0);
    case 'short':
      return random(rng.int(1, 7));
    case 'partial':
      return Buffer.concat([header, random(rng.int(0, length - 1))]);
    case 'bad-crc':
      return Buffer.concat([header, random(length)]);
  }
}

/** Appends `bytes` to the newest journal file of a stopped node. */
async function appendTorn(node: PairNode, bytes: Buffer): Promise<string> {
  const dir = join(node.dataDir, 'state');
  const files = (await readdir(dir)).filter((n) => n.endsWith('.journal')).sort((p, q) => fileEventId(p) - fileEventId(q));
  const newest = files[files.length - 1];
  if (newest === undefined) return 'no journal file';
  await appendFile(join(dir, newest), bytes);
  return `${bytes.length} bytes appended to ${newest}`;
}

function fileEventId(name: string): number {
  return Number(/--(\d+)\.journal$/.exec(name)?.[1] ?? 0);
}

/** The state the nemesis keeps so that everything can be healed at the end. */
export class Nemesis {
  readonly applied = new Map<FaultKind, number>();
  readonly tornInjected: Record<NodeName, number> = { Primary: 0, Backup: 0 };
  readonly #pair: Pair;
  readonly #history: History;
  readonly #rng: Rng;
  readonly #paused = new Set<ChildProcess>();

  constructor(pair: Pair, history: History, rng: Rng) {
    this.#pair = pair;
    this.#history = history;
    this.#rng = rng;
  }

  /** Applies `count` random faults one after another; each is undone before the next. */
  async run(count: number): Promise<void> {
    for (let k = 0; k < count; k++) {
      const plan = planFault(this.#rng);
      await this.#apply(plan);
      if (plan.awaitCoupled) {
        await this.waitForCoupled(6_000).catch(() => this.#history.nemesis('wait', 'note', 'not coupled again within 6 s'));
      } else {
        await delay(plan.gapMs);
      }
    }
  }

  async #apply(plan: FaultPlan): Promise<void> {
    const pair = this.#pair;
    const net = pair.net!;
    const h = this.#history;
    this.applied.set(plan.kind, (this.applied.get(plan.kind) ?? 0) + 1);
    switch (plan.kind) {
      case 'kill-active':
      case 'kill-passive': {
        const node = await this.#nodeInRole(plan.kind === 'kill-active' ? 'active' : 'passive', plan.side);
        h.nemesis(plan.kind, 'apply', `SIGKILL ${node.name}`);
        await pair.kill(node, 'SIGKILL');
        await delay(plan.holdMs);
        if (plan.torn !== 'none') {
          h.nemesis(plan.kind, 'note', `torn tail (${plan.torn}) on ${node.name}: ${await appendTorn(node, plan.tornBytes)}`);
          this.tornInjected[node.name] += 1;
        }
        await this.#restart(node, plan.kind);
        return;
      }
      case 'kill-watch':
        h.nemesis(plan.kind, 'apply', 'SIGKILL the watch');
        await pair.kill(pair.watch, 'SIGKILL');
        await delay(plan.holdMs);
        await this.#restartWatch(plan.kind);
        return;
      case 'pause-active':
      case 'pause-passive': {
        const node = await this.#nodeInRole(plan.kind === 'pause-active' ? 'active' : 'passive', plan.side);
        const child = node.process?.child;
        if (child === undefined) return;
        h.nemesis(plan.kind, 'apply', `SIGSTOP ${node.name}`);
        child.kill('SIGSTOP');
        this.#paused.add(child);
        await delay(plan.holdMs);
        h.nemesis(plan.kind, 'undo', `SIGCONT ${node.name}`);
        child.kill('SIGCONT');
        this.#paused.delete(child);
        return;
      }
      case 'isolate-node': {
        // Nobody reaches the node, and it reaches nobody.
        const [to, watchTo, toOther] = plan.side === 'Primary' ? [net.toPrimary, net.watchToPrimary, net.toBackup] : [net.toBackup, net.watchToBackup, net.toPrimary];
        await this.#hold(plan, `isolate ${plan.side} from the other node and the watch`, [to, watchTo, toOther], (p) => p.block());
        return;
      }
      case 'partition-nodes':
        await this.#hold(plan, 'cut the nodes off from each other (the watch reaches both)', [net.toPrimary, net.toBackup], (p) => p.block());
        return;
      case 'block-one-way':
        await this.#hold(plan, `refuse connections through ${plan.proxy}`, [net[plan.proxy]], (p) => p.block());
        return;
      case 'stall-one-way':
        await this.#hold(plan, `hold the bytes ${plan.direction} through ${plan.proxy}`, [net[plan.proxy]], (p) => p.stall(plan.direction));
        return;
    }
  }

  async #hold(plan: FaultPlan, what: string, proxies: readonly TcpProxy[], start: (p: TcpProxy) => void): Promise<void> {
    this.#history.nemesis(plan.kind, 'apply', what);
    for (const p of proxies) start(p);
    await delay(plan.holdMs);
    this.#history.nemesis(plan.kind, 'undo', 'heal');
    for (const p of proxies) p.heal();
  }

  async #restart(node: PairNode, fault: string): Promise<void> {
    this.#history.nemesis(fault, 'undo', `restart ${node.name}`);
    try {
      await this.#pair.start(node);
    } catch (err) {
      // Left for healAll, which tries again; the output says why it did not start.
      this.#history.nemesis(fault, 'note', `${node.name} did not start: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async #restartWatch(fault: string): Promise<void> {
    this.#history.nemesis(fault, 'undo', 'restart the watch');
    try {
      await this.#pair.startWatch();
    } catch (err) {
      this.#history.nemesis(fault, 'note', `the watch did not start: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The node in `role` by its own word; `fallback` when neither says so (both silent or in between). */
  async #nodeInRole(role: 'active' | 'passive', fallback: NodeName): Promise<PairNode> {
    const pair = this.#pair;
    for (const node of [pair.primary, pair.backup]) {
      if (node.process === undefined) continue;
      const isActive = await callNode(pair, node, 'GET', '/cluster?return=ClusterNodeState', undefined, 1_000)
        .then((r) => r.body['isActive'] === true)
        .catch(() => false);
      if (isActive) return role === 'active' ? node : node === pair.primary ? pair.backup : pair.primary;
    }
    return fallback === 'Primary' ? pair.primary : pair.backup;
  }

  /** Undoes everything: continues stopped processes, heals every proxy, starts every process that is down. */
  async healAll(): Promise<void> {
    const pair = this.#pair;
    for (const child of this.#paused) child.kill('SIGCONT');
    this.#paused.clear();
    for (const p of Object.values(pair.net ?? {})) p.heal();
    for (const node of [pair.primary, pair.backup]) if (node.process === undefined) await this.#restart(node, 'heal');
    if (pair.watch.process === undefined) await this.#restartWatch('heal');
    this.#history.nemesis('heal', 'apply', 'everything healed and running');
  }

  /** Waits until one node is active and the other passive, both Coupled in the same epoch. */
  async waitForCoupled(timeoutMs: number): Promise<void> {
    const pair = this.#pair;
    const view = async (node: PairNode): Promise<{ active: boolean; coupledIn: unknown }> => {
      const s = (await callNode(pair, node, 'GET', '/cluster?return=ClusterNodeState', undefined, 1_000)).body;
      return { active: s['isActive'] === true, coupledIn: (s['clusterState'] as { TYPE?: string } | undefined)?.TYPE === 'Coupled' ? s['epoch'] : undefined };
    };
    await waitFor(
      'the pair to be coupled again',
      async () => {
        if (pair.primary.process === undefined || pair.backup.process === undefined) return undefined;
        const [p, b] = [await view(pair.primary), await view(pair.backup)];
        return p.active !== b.active && p.coupledIn !== undefined && p.coupledIn === b.coupledIn ? true : undefined;
      },
      timeoutMs,
      100,
    );
  }
}
