import { asEpoch, asNodeId, type Epoch } from '../common/index.js';
import type { ClusterTiming, WatchAsk, WatchFrame } from '../cluster/index.js';
import type { ClusterNodeCommand } from '../workflow/index.js';
import type { TaughtMemory, WatchMemory } from './watch-memory.js';

/*
 * The cluster watch's rules (DESIGN §5), pure: `stepWatch(state, input)` gives the
 * next state and the effects to carry out in order. A Persist effect always comes
 * before the answer that relies on it, so the owner never tells a node something
 * the state file does not yet hold.
 */

/** The timeouts the rules use, all from heartbeat and heartbeat-timeout. */
export type WatchTiming = Pick<ClusterTiming, 'heartbeatMs' | 'watchValidMs' | 'holdMs'>;

type Heartbeat = Extract<WatchFrame, { readonly TYPE: 'Heartbeat' }>;
type Request = Extract<WatchFrame, { readonly TYPE: 'Request' }>;

/** What the watch sends a node: the answer to a request, or the epoch a stale node has missed. */
export type WatchCommand = Extract<ClusterNodeCommand, { readonly TYPE: 'ClusterWatchAnswer' | 'ClusterWatchEpoch' }>;

/** The consent between Ask and Commit: at most one stands at a time. */
export type Hold =
  | { readonly kind: 'None' }
  | {
      readonly kind: 'Held';
      readonly requestId: string;
      readonly nodeId: string;
      readonly ask: WatchAsk;
      readonly epoch: Epoch;
      readonly lostNodeId: string;
      /** Monotonic ms after which a Commit is refused. */
      readonly until: number;
    };

type Held = Extract<Hold, { readonly kind: 'Held' }>;

/** A hold that ended without a grant (or with one), kept so that a late Commit is told why it is refused. */
export interface EndedHold {
  readonly requestId: string;
  readonly why: string;
}

export interface WatchState {
  readonly timing: WatchTiming;
  /** The durable part: what the state file holds. */
  readonly memory: WatchMemory;
  /** Node id → monotonic ms of its last heartbeat, since this process started. */
  readonly heardAt: ReadonlyMap<string, number>;
  readonly hold: Hold;
  /** The hold that ended last. */
  readonly ended: EndedHold | undefined;
  /** Source → when it was last sent a ClusterWatchEpoch (at most one per heartbeat interval). */
  readonly noticedAt: ReadonlyMap<string, number>;
}

/** One frame from the stream of the node at `source` (its URI), at monotonic time `now`. */
export interface WatchInput {
  readonly source: string;
  readonly frame: WatchFrame;
  readonly now: number;
}

export type WatchEffect =
  /** Write the state file; nothing after this effect may happen before it is durable. */
  | { readonly TYPE: 'Persist'; readonly memory: WatchMemory }
  | { readonly TYPE: 'Send'; readonly to: string; readonly command: WatchCommand }
  /** One line per decision, with the reason, for the operator. */
  | { readonly TYPE: 'Log'; readonly level: 'debug' | 'info' | 'warn'; readonly fields: Readonly<Record<string, unknown>>; readonly message: string };

export interface WatchStep {
  readonly state: WatchState;
  readonly effects: readonly WatchEffect[];
}

/** The state of a watch that has just started with `memory` (from its state file, or Untaught). */
export function initialWatchState(memory: WatchMemory, timing: WatchTiming): WatchState {
  return { timing, memory, heardAt: new Map(), hold: { kind: 'None' }, ended: undefined, noticedAt: new Map() };
}

/** Applies one frame to the watch's state: the next state, and the effects to carry out in order. */
export function stepWatch(state: WatchState, input: WatchInput): WatchStep {
  const effects: WatchEffect[] = [];
  const current = expireHold(state, input.now, effects);
  const frame = input.frame;
  switch (frame.TYPE) {
    case 'Heartbeat':
      return { state: onHeartbeat(current, input.source, frame, input.now, effects), effects };
    case 'Request':
      return {
        state: frame.phase === 'Ask' ? onAsk(current, input.source, frame, input.now, effects) : onCommit(current, input.source, frame, effects),
        effects,
      };
    default: {
      const never: never = frame;
      throw new Error(`unexpected watch frame ${JSON.stringify(never)}`);
    }
  }
}

/** The epoch and active node the watch knows, as every answer carries them. */
export function knownEpoch(memory: WatchMemory): { readonly epoch: Epoch; readonly activeId: string | null } {
  switch (memory.TYPE) {
    case 'Untaught':
      return { epoch: asEpoch(0), activeId: null };
    case 'Taught':
      return { epoch: memory.epoch, activeId: memory.activeId };
    default: {
      const never: never = memory;
      throw new Error(`unexpected watch memory ${JSON.stringify(never)}`);
    }
  }
}

const untaught = 'the watch is untaught: it started without state and has not yet heard a heartbeat of the active node';

function expireHold(state: WatchState, now: number, effects: WatchEffect[]): WatchState {
  const hold = state.hold;
  if (hold.kind !== 'Held' || now <= hold.until) return state;
  const why = `no Commit came within ${state.timing.holdMs} ms`;
  effects.push(log('info', { ...holdFields(hold), decision: 'HoldExpired' }, `consent to ${hold.ask} for ${hold.nodeId} expired: ${why}`));
  return endHold(state, hold, `it expired: ${why}`);
}

/** Drops the standing hold, remembering why for a Commit that comes later. */
function endHold(state: WatchState, hold: Held, why: string): WatchState {
  return { ...state, hold: { kind: 'None' }, ended: { requestId: hold.requestId, why } };
}

function cancelHold(state: WatchState, hold: Held, why: string, effects: WatchEffect[]): WatchState {
  effects.push(log('warn', { ...holdFields(hold), decision: 'HoldCancelled', reason: why }, `consent to ${hold.ask} for ${hold.nodeId} cancelled: ${why}`));
  return endHold(state, hold, `it was cancelled: ${why}`);
}

function onHeartbeat(state: WatchState, source: string, heartbeat: Heartbeat, now: number, effects: WatchEffect[]): WatchState {
  const heardAt = new Map(state.heardAt).set(heartbeat.nodeId, now);
  let next: WatchState = { ...state, heardAt };
  const hold = next.hold;
  if (hold.kind === 'Held' && hold.ask === 'FailedOver' && heartbeat.nodeId === hold.lostNodeId && heartbeat.isActive) {
    next = cancelHold(next, hold, `${hold.lostNodeId} sent a heartbeat as the active node`, effects);
  }
  const memory = next.memory;
  switch (memory.TYPE) {
    case 'Untaught': {
      if (!heartbeat.isActive || heartbeat.activeId !== heartbeat.nodeId) return next;
      const taught = teach(memory.watchId, heartbeat);
      effects.push({ TYPE: 'Persist', memory: taught });
      effects.push(
        log(
          'info',
          { decision: 'Taught', nodeId: heartbeat.nodeId, epoch: taught.epoch, activeId: taught.activeId },
          `taught by the heartbeat of ${heartbeat.nodeId}: it is active in epoch ${taught.epoch}`,
        ),
      );
      return { ...next, memory: taught };
    }
    case 'Taught': {
      if (heartbeat.journalId !== null && memory.journalId !== undefined && heartbeat.journalId !== memory.journalId) {
        return otherJournal(next, memory, heartbeat, effects);
      }
      if (heartbeat.epoch > memory.epoch) return learnEpoch(next, memory, heartbeat, effects);
      if (heartbeat.epoch < memory.epoch) return noticeStale(next, memory, source, heartbeat, now, effects);
      if (heartbeat.nodeId !== memory.activeId || !heartbeat.isActive) return next;
      if (memory.journalId === undefined && heartbeat.journalId !== null) {
        // Taught before the active had a journal (or by an older watch): bind the memory to it now.
        const bound: TaughtMemory = { ...memory, journalId: heartbeat.journalId };
        effects.push({ TYPE: 'Persist', memory: bound });
        return followActive({ ...next, memory: bound }, bound, heartbeat, effects);
      }
      return followActive(next, memory, heartbeat, effects);
    }
    default: {
      const never: never = memory;
      throw new Error(`unexpected watch memory ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The active node's own word on whether it is coupled. Alone (any state but Coupled) it
 * may commit what the passive lacks, so FailedOver is refused in this epoch; Coupled
 * again after that, the passive has caught up (coupling waits for it), so the refusal
 * ends. Only a Coupled heartbeat that follows an alone one counts: a heartbeat sent
 * before the node wrote the PassiveLost the watch granted would still say Coupled.
 */
function followActive(state: WatchState, memory: TaughtMemory, heartbeat: Heartbeat, effects: WatchEffect[]): WatchState {
  const epoch = memory.epoch;
  let next: TaughtMemory;
  if (heartbeat.clusterState !== 'Coupled') {
    if (memory.aloneSeenInEpoch === epoch && memory.passiveLostGrantedInEpoch === epoch) return state;
    next = { ...memory, passiveLostGrantedInEpoch: epoch, aloneSeenInEpoch: epoch };
    effects.push(
      log('info', { decision: 'ActiveAlone', nodeId: heartbeat.nodeId, epoch, clusterState: heartbeat.clusterState }, `${heartbeat.nodeId} is active without a coupled passive (${heartbeat.clusterState}) in epoch ${epoch}: no FailedOver in this epoch until it couples again`),
    );
  } else {
    if (memory.aloneSeenInEpoch !== epoch) return state;
    next = {
      TYPE: 'Taught',
      watchId: memory.watchId,
      epoch,
      activeId: memory.activeId,
      ...(memory.failedOverGrantedInEpoch === undefined ? {} : { failedOverGrantedInEpoch: memory.failedOverGrantedInEpoch }),
    };
    effects.push(log('info', { decision: 'Recoupled', nodeId: heartbeat.nodeId, epoch }, `${heartbeat.nodeId} is coupled again in epoch ${epoch}: its passive has everything, FailedOver may be granted again`));
  }
  effects.push({ TYPE: 'Persist', memory: next });
  return { ...state, memory: next };
}

/** What a heartbeat of the node that is active teaches a watch that knows nothing (of this pair). */
function teach(watchId: string, heartbeat: Heartbeat): TaughtMemory {
  const alone = heartbeat.clusterState !== 'Coupled';
  return {
    TYPE: 'Taught',
    watchId,
    epoch: heartbeat.epoch,
    activeId: heartbeat.nodeId,
    ...(heartbeat.journalId === null ? {} : { journalId: heartbeat.journalId }),
    // Untaught, the watch cannot know whether its predecessor let the active go on alone: the heartbeat says.
    ...(alone ? { passiveLostGrantedInEpoch: heartbeat.epoch, aloneSeenInEpoch: heartbeat.epoch } : {}),
  };
}

/**
 * A node holds another journal than the pair the watch knows: the pair was set up anew
 * (its epochs start again) while the watch kept its state. What the watch remembers is
 * about a journal that no node holds any more, so the active node of the new one teaches
 * it afresh; other nodes' heartbeats are ignored until then (no epoch notice to a new pair).
 */
function otherJournal(state: WatchState, memory: TaughtMemory, heartbeat: Heartbeat, effects: WatchEffect[]): WatchState {
  if (!heartbeat.isActive || heartbeat.activeId !== heartbeat.nodeId) return state;
  const taught = teach(memory.watchId, heartbeat);
  effects.push({ TYPE: 'Persist', memory: taught });
  effects.push(
    log(
      'warn',
      { decision: 'Taught', nodeId: heartbeat.nodeId, epoch: taught.epoch, activeId: taught.activeId, journalId: heartbeat.journalId, previousJournalId: memory.journalId },
      `${heartbeat.nodeId} is active with journal ${String(heartbeat.journalId)}, not ${memory.journalId ?? '?'}: a new pair; the watch forgets the old one and serves this one`,
    ),
  );
  const next: WatchState = { ...state, memory: taught };
  return next.hold.kind === 'Held' ? cancelHold(next, next.hold, 'the watch serves a new pair', effects) : next;
}

/** A node knows a newer epoch (a switchover or a failover the watch did not see): the watch follows it. */
function learnEpoch(state: WatchState, memory: TaughtMemory, heartbeat: Heartbeat, effects: WatchEffect[]): WatchState {
  if (heartbeat.activeId === null) {
    effects.push(log('debug', { nodeId: heartbeat.nodeId, epoch: heartbeat.epoch }, `ignored a heartbeat of epoch ${heartbeat.epoch} that names no active node`));
    return state;
  }
  const learnt: TaughtMemory = { ...memory, epoch: heartbeat.epoch, activeId: heartbeat.activeId };
  effects.push({ TYPE: 'Persist', memory: learnt });
  effects.push(
    log(
      'info',
      { decision: 'Taught', nodeId: heartbeat.nodeId, epoch: learnt.epoch, activeId: learnt.activeId, previousEpoch: memory.epoch, previousActiveId: memory.activeId },
      `learnt epoch ${learnt.epoch} (active: ${learnt.activeId}) from the heartbeat of ${heartbeat.nodeId}; it knew epoch ${memory.epoch}`,
    ),
  );
  const next: WatchState = { ...state, memory: learnt };
  return next.hold.kind === 'Held' ? cancelHold(next, next.hold, `the watch learnt epoch ${learnt.epoch}`, effects) : next;
}

/** A node runs in an older epoch: tell it (at most once per heartbeat interval), so it learns it lost. */
function noticeStale(state: WatchState, memory: TaughtMemory, source: string, heartbeat: Heartbeat, now: number, effects: WatchEffect[]): WatchState {
  const last = state.noticedAt.get(source);
  if (last !== undefined && now - last < state.timing.heartbeatMs) return state;
  effects.push({ TYPE: 'Send', to: source, command: { TYPE: 'ClusterWatchEpoch', watchId: memory.watchId, epoch: memory.epoch, activeId: asNodeId(memory.activeId) } });
  effects.push(
    log(
      'info',
      { decision: 'EpochNotice', nodeId: heartbeat.nodeId, nodeEpoch: heartbeat.epoch, epoch: memory.epoch, activeId: memory.activeId },
      `told ${heartbeat.nodeId}, which runs in epoch ${heartbeat.epoch}, that ${memory.activeId} is active in epoch ${memory.epoch}`,
    ),
  );
  return { ...state, noticedAt: new Map(state.noticedAt).set(source, now) };
}

function onAsk(state: WatchState, source: string, request: Request, now: number, effects: WatchEffect[]): WatchState {
  let next = state;
  const hold = state.hold;
  if (hold.kind === 'Held') {
    if (hold.requestId === request.requestId && hold.nodeId === request.nodeId) {
      // The same Ask again: the hold stands, with the time it has left.
      effects.push(send(source, answer(state.memory, request, { verdict: 'Hold', holdMs: Math.max(1, Math.ceil(hold.until - now)) })));
      effects.push(log('debug', requestFields(request, 'Hold'), `${describe(request)}: asked again, the hold stands`));
      return state;
    }
    const cancelled = cancellation(hold, request);
    if (cancelled !== undefined) {
      next = cancelHold(state, hold, cancelled, effects);
    } else if (hold.nodeId === request.nodeId && hold.ask === request.ask) {
      // The asker gave its earlier request up (it timed out there) and asks anew.
      const why = `${request.nodeId} asked again with request ${request.requestId}`;
      effects.push(log('info', { ...holdFields(hold), decision: 'HoldReplaced', reason: why }, `consent to ${hold.ask} for ${hold.nodeId} replaced: ${why}`));
      next = endHold(state, hold, `it was replaced: ${why}`);
    } else {
      const reason = `a consent to ${hold.ask} for ${hold.nodeId} (request ${hold.requestId}) is held for another ${Math.ceil(hold.until - now)} ms`;
      return refuse(state, source, request, reason, effects);
    }
  }
  const reason = request.ask === 'PassiveLost' ? passiveLostRefusal(next.memory, request) : regrant(next.memory, request) ? undefined : failedOverRefusal(next, request, now);
  if (reason !== undefined) return refuse(next, source, request, reason, effects);
  // Whole ms: the node's schema takes no fractions (a duration key may give some).
  const holdMs = Math.ceil(next.timing.holdMs);
  effects.push(send(source, answer(next.memory, request, { verdict: 'Hold', holdMs })));
  const silentMs = request.ask === 'FailedOver' ? silence(next, request.lostNodeId, now) : undefined;
  const why = silentMs === undefined ? '' : `: ${request.lostNodeId} was last heard ${silentMs} ms ago`;
  const fields = { ...requestFields(request, 'Hold'), holdMs, ...(silentMs === undefined ? {} : { silentMs }) };
  effects.push(log('info', fields, `holding consent to ${describe(request)} for ${holdMs} ms${why}`));
  return {
    ...next,
    hold: { kind: 'Held', requestId: request.requestId, nodeId: request.nodeId, ask: request.ask, epoch: request.epoch, lostNodeId: request.lostNodeId, until: now + holdMs },
  };
}

/** Why `request` cancels `hold`, if it does: the node a FailedOver declares lost shows it is alive and acting. */
function cancellation(hold: Held, request: Request): string | undefined {
  if (hold.ask === 'FailedOver' && request.ask === 'PassiveLost' && request.nodeId === hold.lostNodeId) {
    return `${hold.lostNodeId} asked for PassiveLost: it is alive and acting`;
  }
  return undefined;
}

function onCommit(state: WatchState, source: string, request: Request, effects: WatchEffect[]): WatchState {
  const hold = state.hold;
  if (hold.kind === 'None' || hold.requestId !== request.requestId) {
    const ended = state.ended;
    const reason =
      ended?.requestId === request.requestId
        ? `the consent held for request ${request.requestId} has ended: ${ended.why}`
        : hold.kind === 'Held'
          ? `the consent held is for request ${hold.requestId} of ${hold.nodeId}, not for ${request.requestId}`
          : `no consent is held for request ${request.requestId}: a Commit needs a standing Ask`;
    return refuse(state, source, request, reason, effects);
  }
  if (hold.nodeId !== request.nodeId || hold.ask !== request.ask || hold.epoch !== request.epoch || hold.lostNodeId !== request.lostNodeId) {
    return refuse(state, source, request, `the Commit does not match its Ask (${hold.ask} for ${hold.nodeId}, ${hold.lostNodeId} lost in epoch ${hold.epoch})`, effects);
  }
  const memory = state.memory;
  if (regrant(memory, request)) {
    // The node never heard the grant (its wait ended first): the same answer again, nothing new to persist.
    effects.push(send(source, answer(memory, request, { verdict: 'Granted' })));
    const known = knownEpoch(memory);
    effects.push(log('info', { ...requestFields(request, 'Granted'), watchEpoch: known.epoch, activeId: known.activeId, again: true }, `granted ${describe(request)} again: it was granted before`));
    return endHold(state, hold, 'it was granted already');
  }
  // A hold is only given when taught, and a newer epoch ends it; this guards the invariant.
  if (memory.TYPE !== 'Taught' || memory.epoch !== hold.epoch) return refuse(state, source, request, `the watch no longer knows epoch ${hold.epoch}`, effects);
  const granted: TaughtMemory =
    request.ask === 'PassiveLost'
      ? { ...memory, passiveLostGrantedInEpoch: hold.epoch }
      : { ...memory, epoch: asEpoch(hold.epoch + 1), activeId: request.nodeId, failedOverGrantedInEpoch: hold.epoch };
  effects.push({ TYPE: 'Persist', memory: granted });
  effects.push(send(source, answer(granted, request, { verdict: 'Granted' })));
  const outcome =
    request.ask === 'PassiveLost'
      ? `${request.nodeId} may go on without ${request.lostNodeId} in epoch ${hold.epoch}; no FailedOver will be granted in this epoch`
      : `${request.nodeId} is active in epoch ${granted.epoch}`;
  effects.push(log('info', { ...requestFields(request, 'Granted'), watchEpoch: granted.epoch, activeId: granted.activeId }, `granted ${describe(request)}: ${outcome}`));
  return endHold({ ...state, memory: granted }, hold, 'it was granted already');
}

/** The FailedOver this watch granted in the request's epoch went to the asker itself, which asks again: it never heard the answer. */
function regrant(memory: WatchMemory, request: Request): boolean {
  return (
    request.ask === 'FailedOver' &&
    memory.TYPE === 'Taught' &&
    memory.failedOverGrantedInEpoch === request.epoch &&
    memory.activeId === request.nodeId &&
    memory.epoch === request.epoch + 1
  );
}

function passiveLostRefusal(memory: WatchMemory, request: Request): string | undefined {
  if (memory.TYPE === 'Untaught') return untaught;
  if (memory.failedOverGrantedInEpoch === request.epoch) {
    return `FailedOver was granted in epoch ${request.epoch}: ${memory.activeId} is active in epoch ${memory.epoch}`;
  }
  if (request.epoch !== memory.epoch) return epochMismatch(memory, request.epoch);
  if (request.nodeId !== memory.activeId) return `${request.nodeId} is not the active node of epoch ${memory.epoch}: the watch knows ${memory.activeId} as active`;
  if (request.lostNodeId === request.nodeId) return `${request.nodeId} cannot declare itself lost`;
  return undefined;
}

function failedOverRefusal(state: WatchState, request: Request, now: number): string | undefined {
  const memory = state.memory;
  if (memory.TYPE === 'Untaught') return untaught;
  if (memory.passiveLostGrantedInEpoch === request.epoch) {
    return `PassiveLost was granted in epoch ${request.epoch}: the active node may have committed events that ${request.nodeId} lacks`;
  }
  if (memory.failedOverGrantedInEpoch === request.epoch) {
    return `FailedOver was granted in epoch ${request.epoch} already: ${memory.activeId} is active in epoch ${memory.epoch}`;
  }
  if (request.epoch !== memory.epoch) return epochMismatch(memory, request.epoch);
  if (request.lostNodeId === request.nodeId) return `${request.nodeId} cannot declare itself lost`;
  const lost = request.lostNodeId;
  if (lost !== memory.activeId) return `${lost} is not the active node of epoch ${memory.epoch}: the watch knows ${memory.activeId} as active`;
  const silentMs = silence(state, lost, now);
  if (silentMs === undefined) return `the watch has not heard ${lost} since it started, so it cannot tell whether ${lost} is alive`;
  const validMs = state.timing.watchValidMs;
  if (silentMs <= validMs) return `the active node ${lost} was heard ${silentMs} ms ago (a heartbeat counts for ${validMs} ms)`;
  return undefined;
}

function epochMismatch(memory: TaughtMemory, epoch: Epoch): string {
  return epoch < memory.epoch
    ? `epoch ${epoch} is over: ${memory.activeId} is active in epoch ${memory.epoch}`
    : `the watch knows epoch ${memory.epoch} (active: ${memory.activeId}), not epoch ${epoch}`;
}

/** Whole ms since `nodeId`'s last heartbeat; undefined when it was not heard since this process started. */
function silence(state: WatchState, nodeId: string, now: number): number | undefined {
  const at = state.heardAt.get(nodeId);
  return at === undefined ? undefined : Math.round(now - at);
}

function refuse(state: WatchState, source: string, request: Request, reason: string, effects: WatchEffect[]): WatchState {
  effects.push(send(source, answer(state.memory, request, { verdict: 'Refused', reason })));
  const level = request.phase === 'Commit' ? 'warn' : 'info';
  effects.push(log(level, { ...requestFields(request, 'Refused'), reason }, `refused ${describe(request)}${request.phase === 'Commit' ? ' (Commit)' : ''}: ${reason}`));
  return state;
}

type Verdict = { readonly verdict: 'Hold'; readonly holdMs: number } | { readonly verdict: 'Granted' } | { readonly verdict: 'Refused'; readonly reason: string };

function answer(memory: WatchMemory, request: Request, verdict: Verdict): WatchCommand {
  const { epoch, activeId } = knownEpoch(memory);
  return {
    TYPE: 'ClusterWatchAnswer',
    watchId: memory.watchId,
    requestId: request.requestId,
    ...verdict,
    epoch,
    activeId: activeId === null ? null : asNodeId(activeId),
  };
}

function send(to: string, command: WatchCommand): WatchEffect {
  return { TYPE: 'Send', to, command };
}

function log(level: 'debug' | 'info' | 'warn', fields: Readonly<Record<string, unknown>>, message: string): WatchEffect {
  return { TYPE: 'Log', level, fields, message };
}

function describe(request: Request): string {
  return `${request.ask} for ${request.nodeId} (${request.lostNodeId} lost in epoch ${request.epoch})`;
}

function requestFields(request: Request, decision: 'Hold' | 'Granted' | 'Refused'): Record<string, unknown> {
  return { decision, ask: request.ask, phase: request.phase, nodeId: request.nodeId, lostNodeId: request.lostNodeId, epoch: request.epoch, requestId: request.requestId };
}

function holdFields(hold: Held): Record<string, unknown> {
  return { ask: hold.ask, nodeId: hold.nodeId, lostNodeId: hold.lostNodeId, epoch: hold.epoch, requestId: hold.requestId };
}
