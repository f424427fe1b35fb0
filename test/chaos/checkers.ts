import { scheduledOrderId } from '../../src/workflow/index.js';
import type { ClientEntry, HistoryEntry, NodeName } from './history.js';
import type { EpochEvent, JournalView } from './journals.js';

/** Everything a trial leaves behind for the checkers. Pure data, so tests can make small ones by hand. */
export interface TrialEvidence {
  readonly history: readonly HistoryEntry[];
  /** Lines of the marker file the jobs append to: `start <orderId> <epoch>` / `end <orderId>`. */
  readonly marker: readonly string[];
  /** Both nodes' journals, read after the trial with every process stopped. */
  readonly journals: readonly [JournalView, JournalView];
  /** The schedule firing every `tickMs`; its orders have ids `scheduledOrderId(scheduleId, tick)`. */
  readonly scheduleId: string;
  readonly tickMs: number;
  /** Ids of orders of the workflow whose job is not restartable start with this. */
  readonly oncePrefix: string;
  /** Torn tails the nemesis appended to a killed node's newest journal file, per node. */
  readonly tornInjected: Readonly<Record<NodeName, number>>;
  /** Wall time (ms) at which the healed pair was coupled again: the schedule must fire after it. */
  readonly healedAt: number | undefined;
}

export type CheckName = 'acknowledged-kept' | 'no-phantom-orders' | 'no-double-run' | 'schedule-ticks' | 'one-actor-per-epoch' | 'journal-prefix' | 'torn-tails-cut';

export interface CheckResult {
  readonly check: CheckName;
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** Orders the problems are about: their history lines are what to show. */
  readonly orderIds: readonly string[];
}

/** Runs every checker. */
export function checkTrial(e: TrialEvidence): CheckResult[] {
  return [
    checkAcknowledgedKept(e),
    checkNoPhantomOrders(e),
    checkNoDoubleRun(e),
    checkScheduleTicks(e),
    checkOneActorPerEpoch(e),
    checkJournalPrefix(e),
    checkTornTailsCut(e),
  ];
}

function result(check: CheckName, problems: string[], orderIds: Iterable<string> = []): CheckResult {
  return { check, ok: problems.length === 0, problems, orderIds: [...new Set(orderIds)] };
}

/** The longer of the two journals: both must agree on their common prefix (checked apart), so this is the pair's final history. */
export function finalJournal(e: TrialEvidence): JournalView {
  const [a, b] = e.journals;
  return lastEventId(b) > lastEventId(a) ? b : a;
}

function lastEventId(v: JournalView): number {
  return v.events[v.events.length - 1]?.eventId ?? -1;
}

function clientEntries(e: TrialEvidence, op: ClientEntry['op']): ClientEntry[] {
  return e.history.filter((h): h is ClientEntry => h.type === 'client' && h.op === op);
}

function ofType(events: readonly EpochEvent[], type: string): EpochEvent[] {
  return events.filter((x) => x.event.TYPE === type);
}

function orderIdOf(x: EpochEvent): string {
  return String(x.event['orderId']);
}

/** The orders the final journal holds: those of its base snapshot and every OrderAdded. */
function finalOrderIds(v: JournalView): Set<string> {
  return new Set([...v.base.orderIds, ...ofType(v.events, 'OrderAdded').map(orderIdOf)]);
}

/** (a) Every order whose AddOrder was answered 200 exists at the end (invariant 1, no lost commit). */
export function checkAcknowledgedKept(e: TrialEvidence): CheckResult {
  const have = finalOrderIds(finalJournal(e));
  const lost = clientEntries(e, 'AddOrder').filter((h) => h.status === 200 && !have.has(h.orderId));
  return result('acknowledged-kept', lost.map((h) => `order ${h.orderId} was acknowledged by ${h.node} at ${h.end} ms but is not in the final journal`), lost.map((h) => h.orderId));
}

/** (b) No order exists that no client asked for, except the schedule's, each added in the commit of its tick; none is added twice. */
export function checkNoPhantomOrders(e: TrialEvidence): CheckResult {
  const v = finalJournal(e);
  const asked = new Set(clientEntries(e, 'AddOrder').map((h) => h.orderId));
  const firedIn = new Map<string, number>();
  for (const f of ofType(v.events, 'ScheduleFired')) {
    if (f.event['scheduleId'] === e.scheduleId) firedIn.set(scheduledOrderId(e.scheduleId, Number(f.event['tick'])), f.record);
  }
  const problems: string[] = [];
  const ids: string[] = [];
  const seen = new Set(v.base.orderIds);
  for (const added of ofType(v.events, 'OrderAdded')) {
    const id = orderIdOf(added);
    if (seen.has(id)) {
      problems.push(`order ${id} was added twice (again at event ${added.eventId})`);
      ids.push(id);
    }
    seen.add(id);
    if (asked.has(id)) continue;
    const record = firedIn.get(id);
    if (record === undefined) {
      problems.push(`order ${id} (event ${added.eventId}) was added though no client asked for it and no tick fired it`);
      ids.push(id);
    } else if (record !== added.record) {
      problems.push(`order ${id} was not added in the commit of its ScheduleFired`);
      ids.push(id);
    }
  }
  return result('no-phantom-orders', problems, ids);
}

/** (c) No job of the non-restartable workflow started twice: not by the marker file, not by the journal. */
export function checkNoDoubleRun(e: TrialEvidence): CheckResult {
  const starts = new Map<string, string[]>();
  for (const line of e.marker) {
    const [kind, id, epoch] = line.split(' ');
    if (kind === 'start' && id !== undefined && id.startsWith(e.oncePrefix)) starts.set(id, [...(starts.get(id) ?? []), epoch ?? '?']);
  }
  const problems: string[] = [];
  const ids: string[] = [];
  for (const [id, epochs] of starts) {
    if (epochs.length > 1) {
      problems.push(`the job of ${id} (not restartable) started ${epochs.length} times, in epochs ${epochs.join(', ')}`);
      ids.push(id);
    }
  }
  const journaled = new Map<string, number>();
  for (const p of ofType(finalJournal(e).events, 'OrderProcessingStarted')) {
    const id = orderIdOf(p);
    if (id.startsWith(e.oncePrefix)) journaled.set(id, (journaled.get(id) ?? 0) + 1);
  }
  for (const [id, n] of journaled) {
    if (n > 1) {
      problems.push(`the journal starts the job of ${id} (not restartable) ${n} times`);
      ids.push(id);
    }
  }
  return result('no-double-run', problems, ids);
}

/**
 * (d) Each tick of the schedule fired exactly once, from its deployment on, without a gap
 * other than one a ScheduleTicksSkipped event declares (the documented catch-up limit),
 * each with exactly one order, and it went on firing after the pair was healed.
 */
export function checkScheduleTicks(e: TrialEvidence): CheckResult {
  const v = finalJournal(e);
  const mine = (x: EpochEvent): boolean => x.event['scheduleId'] === e.scheduleId || (x.event['schedule'] as { id?: unknown } | undefined)?.id === e.scheduleId;
  const problems: string[] = [];
  const ids: string[] = [];
  const deployed = ofType(v.events, 'ScheduleDeployed').filter(mine);
  const fired = ofType(v.events, 'ScheduleFired').filter(mine).map((x) => Number(x.event['tick']));
  const skipped = ofType(v.events, 'ScheduleTicksSkipped').filter(mine).map((x) => ({ from: Number(x.event['from']), to: Number(x.event['to']) }));
  const gapDeclared = (from: number, to: number): boolean => skipped.some((s) => s.from === from && s.to === to);
  const since = deployed[0] === undefined ? undefined : Number(deployed[0].event['since']);
  if (deployed.length > 1) problems.push(`the schedule was deployed ${deployed.length} times`);
  if (since !== undefined && fired[0] !== undefined) {
    const first = (Math.floor(since / e.tickMs) + 1) * e.tickMs;
    if (fired[0] !== first && !gapDeclared(first, fired[0] - e.tickMs)) problems.push(`the first tick fired is ${iso(fired[0])}, not ${iso(first)} (the first after the deployment)`);
  }
  for (let k = 1; k < fired.length; k++) {
    const prev = fired[k - 1]!;
    const tick = fired[k]!;
    if (tick <= prev) problems.push(`tick ${iso(tick)} fired again (or out of order) after ${iso(prev)}`);
    else if (tick - prev !== e.tickMs && !gapDeclared(prev + e.tickMs, tick - e.tickMs)) problems.push(`ticks ${iso(prev + e.tickMs)} … ${iso(tick - e.tickMs)} never fired and no ScheduleTicksSkipped says why`);
  }
  const added = new Map<string, number>();
  for (const a of ofType(v.events, 'OrderAdded')) added.set(orderIdOf(a), (added.get(orderIdOf(a)) ?? 0) + 1);
  for (const tick of new Set(fired)) {
    const id = scheduledOrderId(e.scheduleId, tick);
    const n = (added.get(id) ?? 0) + (v.base.orderIds.includes(id) ? 1 : 0);
    if (n !== 1) {
      problems.push(`tick ${iso(tick)} has ${n} orders, not one`);
      ids.push(id);
    }
  }
  if (fired.length === 0) problems.push('the schedule never fired');
  const last = fired[fired.length - 1];
  if (e.healedAt !== undefined && last !== undefined && last < e.healedAt) problems.push(`the last tick fired is ${iso(last)}, before the pair was healed at ${iso(e.healedAt)}`);
  return result('schedule-ticks', problems, ids);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * (e) At most one node committed in each epoch (invariant 2). A journal does not say which
 * process wrote an event, so this is shown from three sides that together leave no room
 * for a second committer:
 *  1. The journal's own account of who may act: folding the epoch through the final
 *     journal, every epoch change hands the role to the other node (a failover names the
 *     node that was active as lost), so each epoch has exactly one designated actor.
 *  2. Both nodes' journals, split by epoch, agree event by event on what each has of every
 *     epoch (one is a prefix of the other): no epoch has two versions. A fenced node's cut
 *     tail (`*.cut-*`) is the only place a second version may exist, and it is excluded —
 *     so the next two points show that nothing in it was ever committed.
 *  3. Commits seen from outside: each AddOrder answered 200 by node N (a first attempt of
 *     that id, not a retry that may find the order already there) has its OrderAdded in an
 *     epoch whose actor is N. A node answering for an epoch it did not own would show here.
 *  4. Side effects seen from outside: each job start in the marker file (`start id E`,
 *     E = TANDEM_EPOCH given to the job) matches its own OrderProcessingStarted of that
 *     order in epoch E in the final journal. A job started from an uncommitted event (one
 *     later cut) or by a node in an epoch it did not own would show here.
 */
export function checkOneActorPerEpoch(e: TrialEvidence): CheckResult {
  const v = finalJournal(e);
  const problems: string[] = [];
  const ids: string[] = [];
  // 1.
  let active = v.base.activeId;
  let epoch = v.base.epoch;
  for (const x of v.events) {
    const type = x.event.TYPE;
    if (type === 'ClusterSwitchedOver' || type === 'ClusterFailedOver') {
      if (x.epoch !== epoch + 1) problems.push(`${type} at event ${x.eventId} moves from epoch ${epoch} to ${x.epoch}`);
      if (x.activeId === active) problems.push(`${type} at event ${x.eventId} hands epoch ${x.epoch} to ${active}, already the actor of epoch ${epoch}`);
      if (type === 'ClusterFailedOver' && x.event['lostNodeId'] !== active) problems.push(`ClusterFailedOver at event ${x.eventId} names ${String(x.event['lostNodeId'])} lost, but ${active} was active`);
      active = x.activeId;
      epoch = x.epoch;
    }
  }
  // 2.
  const [a, b] = e.journals;
  const byEpoch = (view: JournalView): Map<number, EpochEvent[]> => {
    const m = new Map<number, EpochEvent[]>();
    for (const x of view.events) m.set(x.epoch, [...(m.get(x.epoch) ?? []), x]);
    return m;
  };
  const ea = byEpoch(a);
  const eb = byEpoch(b);
  for (const [ep, xs] of ea) {
    const ys = eb.get(ep);
    if (ys === undefined) continue;
    // Only the common span of event ids counts: one node may have lost its older files to a snapshot.
    const from = Math.max(xs[0]!.eventId, ys[0]!.eventId);
    const xa = xs.filter((x) => x.eventId >= from);
    const ya = ys.filter((y) => y.eventId >= from);
    const n = Math.min(xa.length, ya.length);
    for (let k = 0; k < n; k++) {
      const x = xa[k]!;
      const y = ya[k]!;
      if (x.eventId !== y.eventId || JSON.stringify(x.event) !== JSON.stringify(y.event)) {
        problems.push(`epoch ${ep} has two versions: ${a.node} has event ${x.eventId} ${x.event.TYPE} where ${b.node} has ${y.eventId} ${y.event.TYPE}`);
        break;
      }
    }
  }
  // 3.
  const actorOfAdded = new Map<string, EpochEvent>();
  for (const x of ofType(v.events, 'OrderAdded')) actorOfAdded.set(orderIdOf(x), x);
  const adds = clientEntries(e, 'AddOrder');
  for (const h of adds) {
    if (h.status !== 200) continue;
    if (adds.some((o) => o.orderId === h.orderId && o.i < h.i)) continue;
    const x = actorOfAdded.get(h.orderId);
    if (x !== undefined && x.activeId !== h.node) {
      problems.push(`${h.node} acknowledged order ${h.orderId}, but it was committed in epoch ${x.epoch}, whose actor is ${x.activeId}`);
      ids.push(h.orderId);
    }
  }
  // 4.
  const committed = new Map<string, number>();
  for (const x of ofType(v.events, 'OrderProcessingStarted')) {
    const key = `${orderIdOf(x)} ${x.epoch}`;
    committed.set(key, (committed.get(key) ?? 0) + 1);
  }
  const started = new Map<string, number>();
  for (const line of e.marker) {
    const [kind, id, ep] = line.split(' ');
    if (kind !== 'start' || id === undefined) continue;
    const key = `${id} ${ep ?? '?'}`;
    started.set(key, (started.get(key) ?? 0) + 1);
  }
  for (const [key, n] of started) {
    const have = committed.get(key) ?? 0;
    if (n > have) {
      const [id, ep] = key.split(' ');
      problems.push(`the job of ${id} started ${n} times in epoch ${ep}, but the final journal commits ${have} starts of it in that epoch`);
      ids.push(id!);
    }
  }
  return result('one-actor-per-epoch', problems, ids);
}

/**
 * (f) The two journals agree on their common prefix (invariant 3): every file both have is
 * byte-equal up to the shorter one's length, and a file only one node has is older than all
 * of the other's (deleted there after a snapshot) or newer (not yet replicated).
 */
export function checkJournalPrefix(e: TrialEvidence): CheckResult {
  const [a, b] = e.journals;
  const problems: string[] = [];
  let common = 0;
  for (const [name, bytes] of a.files) {
    const other = b.files.get(name);
    if (other === undefined) continue;
    common += 1;
    const n = Math.min(bytes.length, other.length);
    if (!bytes.subarray(0, n).equals(other.subarray(0, n))) {
      let at = 0;
      while (at < n && bytes[at] === other[at]) at++;
      problems.push(`journal file ${name} differs between ${a.node} and ${b.node} at byte ${at} (of ${n} in common)`);
    }
  }
  if (common === 0) problems.push(`the nodes have no journal file in common: ${[...a.files.keys()].join()} / ${[...b.files.keys()].join()}`);
  for (const [x, y] of [[a, b], [b, a]] as const) {
    const names = [...y.files.keys()].sort(byFileEventId);
    const firstY = names[0];
    const lastY = names[names.length - 1];
    for (const name of x.files.keys()) {
      if (y.files.has(name) || firstY === undefined || lastY === undefined) continue;
      if (byFileEventId(name, firstY) > 0 && byFileEventId(name, lastY) < 0) problems.push(`${x.node} has ${name}, which falls between ${y.node}'s files but ${y.node} lacks it`);
    }
  }
  return result('journal-prefix', problems);
}

function byFileEventId(p: string, q: string): number {
  const n = (s: string): number => Number(/--(\d+)\.journal$/.exec(s)?.[1] ?? NaN);
  return n(p) - n(q);
}

/** (g) Every torn tail the nemesis appended was cut by the node's recovery and kept beside the journal. */
export function checkTornTailsCut(e: TrialEvidence): CheckResult {
  const problems: string[] = [];
  for (const v of e.journals) {
    const injected = e.tornInjected[v.node];
    if (v.tornFiles.length < injected) problems.push(`${v.node} got ${injected} torn tails but kept only ${v.tornFiles.length} cut-off files (${v.tornFiles.join(', ') || 'none'})`);
  }
  return result('torn-tails-cut', problems);
}

/** The history lines a failed check is about: every client request on its orders, and every nemesis step. */
export function relevantHistory(e: TrialEvidence, check: CheckResult): HistoryEntry[] {
  const ids = new Set(check.orderIds);
  return e.history.filter((h) => h.type === 'nemesis' || ids.has(h.orderId));
}
