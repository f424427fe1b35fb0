import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import { TandemError, asEventId, type EventId, type Logger } from '../common/index.js';
import { toIndexedEvent, type IndexedEvent } from './indexed-event.js';
import {
  LAST_EVENT_ID_KEY,
  eventIdOfKey,
  historyKey,
  historyRange,
  historyValue,
  lastEventIdValue,
  logKey,
  logRange,
  logValue,
  orderKey,
  orderValue,
} from './read-model-keys.js';

/** One chunk of a job's output, as the journal recorded it. */
export interface JobLogEntry {
  readonly eventId: EventId;
  readonly stream: 'stdout' | 'stderr';
  readonly chunk: string;
}

/** A finished order. */
export interface HistoryEntry {
  /** The event that ended the order. */
  readonly eventId: EventId;
  readonly orderId: string;
  /** Null when the order was added before what this read model was built from. */
  readonly workflowPath: string | null;
  /** The outcome's TYPE (`Succeeded`, `Failed`, …), when the event carried one. */
  readonly outcome: string | null;
  readonly state: 'Finished' | 'Failed' | 'Cancelled';
}

export interface ReadModelOptions {
  /** The database directory; the app passes `<data>/readmodel`. */
  readonly dir: string;
  readonly logger: Logger;
}

export interface PageOptions {
  /** Only entries with a greater eventId. */
  readonly after?: EventId;
  /** Default 1000. */
  readonly limit?: number;
}

export interface StampedEvent {
  readonly eventId: EventId;
  readonly event: unknown;
}

type Batch = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

const DEFAULT_LIMIT = 1000;

const terminalStates = {
  OrderFinished: 'Finished',
  OrderFailed: 'Failed',
  OrderCancelled: 'Cancelled',
} as const;

/**
 * Job logs and order history in level, derived from committed journal events. It is
 * never the source of truth: when in doubt, `reset()` and apply the journal again.
 */
export class ReadModel {
  readonly #db: Level<string, unknown>;
  readonly #logger: Logger;
  #lastEventId: EventId;
  // apply/reset/close run one after another, so each sees the lastEventId the previous one left.
  #tail: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(db: Level<string, unknown>, logger: Logger, lastEventId: EventId) {
    this.#db = db;
    this.#logger = logger;
    this.#lastEventId = lastEventId;
  }

  /** Opens (creating if missing) the database in `dir`. */
  static async open(options: ReadModelOptions): Promise<ReadModel> {
    const logger = options.logger.child({ component: 'read-model' });
    await mkdir(options.dir, { recursive: true });
    const db = new Level<string, unknown>(options.dir, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (err) {
      if (err instanceof Error && 'cause' in err && hasCode(err.cause, 'LEVEL_LOCKED')) {
        throw new TandemError('JournalLocked', `Another process holds the read model in ${options.dir}.`, { dir: options.dir }, { cause: err });
      }
      throw err;
    }
    const stored = lastEventIdValue.safeParse((await db.get(LAST_EVENT_ID_KEY)) ?? 0);
    if (!stored.success) logger.warn({ problem: stored.error.message }, 'read model lastEventId unreadable; starting from 0');
    const lastEventId = asEventId(stored.success ? stored.data : 0);
    logger.info({ dir: options.dir, lastEventId }, 'read model opened');
    return new ReadModel(db, logger, lastEventId);
  }

  /** The last event applied. */
  get lastEventId(): EventId {
    return this.#lastEventId;
  }

  /**
   * Indexes the events after `lastEventId` in one atomic write; others are skipped.
   * An order added and ended within the batch writes its history entry only: its
   * order key would be put and deleted in the same write.
   */
  apply(batch: readonly StampedEvent[]): Promise<void> {
    return this.#serial(async () => {
      const indexed: { eventId: EventId; event: IndexedEvent }[] = [];
      let last = this.#lastEventId;
      for (const { eventId, event } of batch) {
        if (eventId <= last) continue;
        last = eventId;
        const { event: narrowed, problem } = toIndexedEvent(event);
        if (problem !== undefined) this.#logger.warn({ eventId, problem }, 'event not indexed: unexpected shape');
        if (narrowed !== undefined) indexed.push({ eventId, event: narrowed });
      }
      if (last === this.#lastEventId) return;
      const ops = this.#index(indexed, await this.#storedWorkflowPaths(indexed));
      ops.push({ type: 'put', key: LAST_EVENT_ID_KEY, value: last });
      await this.#db.batch(ops);
      this.#lastEventId = last;
    });
  }

  /** An order's output in eventId order. */
  async jobLog(orderId: string, options: PageOptions = {}): Promise<JobLogEntry[]> {
    const entries: JobLogEntry[] = [];
    const limit = limitOf(options);
    if (limit === 0) return entries;
    for await (const [key, value] of this.#db.iterator({ ...logRange(orderId, options.after), limit })) {
      const parsed = logValue.safeParse(value);
      if (!parsed.success) {
        this.#logger.warn({ key, problem: parsed.error.message }, 'skipping an unreadable job log entry');
        continue;
      }
      entries.push({ eventId: asEventId(eventIdOfKey(key)), ...parsed.data });
    }
    return entries;
  }

  /** Finished, failed and cancelled orders in the order they ended. */
  async history(options: PageOptions = {}): Promise<HistoryEntry[]> {
    const entries: HistoryEntry[] = [];
    const limit = limitOf(options);
    if (limit === 0) return entries;
    for await (const [key, value] of this.#db.iterator({ ...historyRange(options.after), limit })) {
      const parsed = historyValue.safeParse(value);
      if (!parsed.success) {
        this.#logger.warn({ key, problem: parsed.error.message }, 'skipping an unreadable history entry');
        continue;
      }
      entries.push({ eventId: asEventId(eventIdOfKey(key)), ...parsed.data });
    }
    return entries;
  }

  /** Deletes everything, so the read model can be rebuilt from the journal. */
  reset(): Promise<void> {
    return this.#serial(async () => {
      await this.#db.clear();
      this.#lastEventId = asEventId(0);
      this.#logger.info('read model cleared');
    });
  }

  /** Waits for pending writes, then closes the database. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#enqueue(async () => {
      await this.#db.close();
    });
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The batch's writes: one per log chunk and per ended order, at most one per order key. */
  #index(indexed: readonly { eventId: EventId; event: IndexedEvent }[], stored: ReadonlyMap<string, string | null>): Batch[] {
    const ops: Batch[] = [];
    // Order ids whose key the batch changes, with the last change. `fresh`: added in this batch, so
    // the database holds no key for it (an id is added again only after its order ended).
    const orderKeys = new Map<string, { readonly workflowPath: string | null; readonly fresh: boolean }>();
    for (const { eventId, event } of indexed) {
      switch (event.TYPE) {
        case 'OrderStdWritten':
          ops.push({ type: 'put', key: logKey(event.orderId, eventId), value: { stream: event.stream, chunk: event.chunk } });
          break;
        case 'OrderAdded':
          orderKeys.set(event.orderId, { workflowPath: event.workflowPath, fresh: !orderKeys.has(event.orderId) });
          break;
        case 'OrderFinished':
        case 'OrderFailed':
        case 'OrderCancelled': {
          const state = terminalStates[event.TYPE];
          const inBatch = orderKeys.get(event.orderId);
          const workflowPath = inBatch === undefined ? (stored.get(event.orderId) ?? null) : inBatch.workflowPath;
          const entry = { orderId: event.orderId, workflowPath, outcome: event.outcome?.TYPE ?? null, state };
          ops.push({ type: 'put', key: historyKey(eventId), value: entry });
          // A failed order may be resumed and end again, so only the final states forget the order.
          if (state === 'Failed') break;
          if (inBatch?.fresh === true) orderKeys.delete(event.orderId);
          else orderKeys.set(event.orderId, { workflowPath: null, fresh: false });
          break;
        }
        default:
          return assertNever(event);
      }
    }
    for (const [orderId, { workflowPath }] of orderKeys) {
      ops.push(workflowPath === null ? { type: 'del', key: orderKey(orderId) } : { type: 'put', key: orderKey(orderId), value: { workflowPath } });
    }
    return ops;
  }

  /** The stored workflow paths of the orders that end in the batch without being added in it. */
  async #storedWorkflowPaths(indexed: readonly { event: IndexedEvent }[]): Promise<Map<string, string | null>> {
    const added = new Set<string>();
    const wanted = new Set<string>();
    for (const { event } of indexed) {
      if (event.TYPE === 'OrderAdded') added.add(event.orderId);
      else if (event.TYPE !== 'OrderStdWritten' && !added.has(event.orderId)) wanted.add(event.orderId);
    }
    const paths = new Map<string, string | null>();
    if (wanted.size === 0) return paths;
    const ids = [...wanted];
    const values = await this.#db.getMany(ids.map(orderKey));
    ids.forEach((id, i) => {
      const parsed = orderValue.safeParse(values[i]);
      paths.set(id, parsed.success ? parsed.data.workflowPath : null);
    });
    return paths;
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(new TandemError('ShuttingDown', 'The read model is closed.'));
    }
    return this.#enqueue(fn);
  }

  #enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(fn);
    // A failed write fails its caller; the writes queued behind it still run.
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

function limitOf(options: PageOptions): number {
  return Math.max(0, Math.floor(options.limit ?? DEFAULT_LIMIT));
}

function hasCode(value: unknown, code: string): boolean {
  return typeof value === 'object' && value !== null && 'code' in value && value.code === code;
}

function assertNever(value: never): never {
  throw new Error(`unexpected indexed event: ${JSON.stringify(value)}`);
}
