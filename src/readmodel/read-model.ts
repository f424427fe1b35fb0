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

  /** Indexes the events after `lastEventId` in one atomic write; others are skipped. */
  apply(batch: readonly StampedEvent[]): Promise<void> {
    return this.#serial(async () => {
      const ops: Batch[] = [];
      // Orders added or ended earlier in this batch are not in the database yet.
      const workflowPaths = new Map<string, string | null>();
      let last = this.#lastEventId;
      for (const { eventId, event } of batch) {
        if (eventId <= last) continue;
        last = eventId;
        const { event: indexed, problem } = toIndexedEvent(event);
        if (problem !== undefined) this.#logger.warn({ eventId, problem }, 'event not indexed: unexpected shape');
        if (indexed !== undefined) ops.push(...(await this.#index(eventId, indexed, workflowPaths)));
      }
      if (last === this.#lastEventId) return;
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

  async #index(eventId: EventId, event: IndexedEvent, workflowPaths: Map<string, string | null>): Promise<Batch[]> {
    switch (event.TYPE) {
      case 'OrderStdWritten':
        return [{ type: 'put', key: logKey(event.orderId, eventId), value: { stream: event.stream, chunk: event.chunk } }];
      case 'OrderAdded':
        workflowPaths.set(event.orderId, event.workflowPath);
        return [{ type: 'put', key: orderKey(event.orderId), value: { workflowPath: event.workflowPath } }];
      case 'OrderFinished':
      case 'OrderFailed':
      case 'OrderCancelled': {
        const state = terminalStates[event.TYPE];
        const workflowPath = await this.#workflowPath(event.orderId, workflowPaths);
        const entry = { orderId: event.orderId, workflowPath, outcome: event.outcome?.TYPE ?? null, state };
        const ops: Batch[] = [{ type: 'put', key: historyKey(eventId), value: entry }];
        // A failed order may be resumed and end again, so only the final states forget the order.
        if (state !== 'Failed') {
          workflowPaths.set(event.orderId, null);
          ops.push({ type: 'del', key: orderKey(event.orderId) });
        }
        return ops;
      }
      default:
        return assertNever(event);
    }
  }

  async #workflowPath(orderId: string, inBatch: Map<string, string | null>): Promise<string | null> {
    const pending = inBatch.get(orderId);
    if (pending !== undefined) return pending;
    const parsed = orderValue.safeParse(await this.#db.get(orderKey(orderId)));
    return parsed.success ? parsed.data.workflowPath : null;
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
