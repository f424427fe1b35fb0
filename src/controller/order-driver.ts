import type { Clock, Logger, Supervisor } from '../common/index.js';
import type { StampedEvent } from '../journal/index.js';
import { isOver, type ControllerState, type Event, type Order } from '../state/index.js';
import {
  advanceOrder,
  dueScheduleEvents,
  jobOf,
  nextScheduleWake,
  ordersToAdvance,
  outcomeOf,
  type Command,
  type JobExecutor,
  type JobRun,
} from '../workflow/index.js';
import { Wakeup } from '../common/index.js';

export interface OrderDriverOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly executor: JobExecutor;
  readonly supervisor: Supervisor;
  readonly state: () => ControllerState;
  readonly persist: (events: readonly Event[]) => void;
  readonly isRunning: () => boolean;
  /** False while a switchover drains the node: orders stay where they are and schedules wait for the next active node. */
  readonly isAdvancing: () => boolean;
  /** How long a finished or cancelled order stays in the state (js7.controller.order-retention). */
  readonly orderRetentionMs: number;
}

const terminalStates = new Set(['Finished', 'Cancelled', 'Failed', 'Disrupted']);
const maxSleepMs = 60_000;
/** OrderDeleted events per record, so a restart with many retained orders writes no giant record. */
const deletionsPerRecord = 1000;

/**
 * Moves orders along their workflows. Advancing is pure (the engine decides the
 * events); this class decides *when*: right after events touch an order (so the
 * follow-up events share the same group commit), at due times, and — for job
 * starts and kills — only once the event that calls for them is committed —
 * and when a finished or cancelled order has stayed its retention time and leaves
 * the state (OrderDeleted), so the state holds no more than the retention's worth.
 */
export class OrderDriver {
  readonly #o: OrderDriverOptions;
  readonly #logger: Logger;
  readonly #wakes = new Map<string, number>();
  /** Ended orders and the wall time they may leave the state, in the order they ended (so in due order). */
  readonly #deletions = new Map<string, number>();
  readonly #running = new Map<string, JobRun>();
  readonly #queue = new Set<string>();
  readonly #wakeup: Wakeup;
  readonly #jobEnded: Wakeup;
  #draining = false;

  constructor(options: OrderDriverOptions) {
    this.#o = options;
    this.#logger = options.logger.child({ component: 'order-driver' });
    this.#wakeup = new Wakeup(options.clock);
    this.#jobEnded = new Wakeup(options.clock);
  }

  /**
   * Resolves once no job runs and none is about to (their outcomes journaled); for a
   * switchover, which stops new starts first. A start appended but not yet committed
   * leaves its order Processing without a job yet, so the state is asked too.
   */
  async whenNoJobRuns(signal: AbortSignal = new AbortController().signal): Promise<void> {
    while (!signal.aborted && (this.#running.size > 0 || this.#anyProcessing())) await this.#jobEnded.sleep(1000, signal);
  }

  #anyProcessing(): boolean {
    for (const order of this.#o.state().orders.values()) if (order.state.TYPE === 'Processing') return true;
    return false;
  }

  /** Orders advance again (a switchover did not happen). */
  resume(): void {
    this.#drain();
    this.#wakeup.poke();
  }

  /** After a restart: a job that was running has an unknown outcome, so its order is Disrupted. */
  recover(): void {
    const state = this.#o.state();
    for (const order of state.orders.values()) {
      if (order.state.TYPE === 'Processing') {
        this.#logger.warn({ orderId: order.id }, 'order was processing when the controller stopped; its outcome is unknown');
        this.#o.persist([
          {
            TYPE: 'OrderProcessed',
            orderId: order.id,
            outcome: { TYPE: 'Disrupted', reason: 'the controller stopped while the job ran' },
          },
        ]);
      }
    }
    const ended: Order[] = [];
    for (const order of state.orders.values()) {
      if (!terminalStates.has(order.state.TYPE)) this.#queue.add(order.id);
      else ended.push(order);
    }
    // In the order they ended, so the deletions stay in due order.
    ended.sort((a, b) => (a.endedAt ?? Number.MAX_SAFE_INTEGER) - (b.endedAt ?? Number.MAX_SAFE_INTEGER));
    for (const order of ended) this.#retain(order.id);
    this.#drain();
  }

  /** Events were appended and folded: advance the orders they touched. */
  touched(stamped: readonly StampedEvent<Event>[]): void {
    for (const id of ordersToAdvance(stamped.map((s) => s.event))) this.#queue.add(id);
    for (const { event } of stamped) if (event.TYPE === 'OrderFinished' || event.TYPE === 'OrderCancelled') this.#retain(event.orderId);
    this.#drain();
  }

  /**
   * Counts the retention of an ended order from the EventId that ended it (EventIds read as
   * wall time), or from now for an order ended before endedAt was kept. Fork children leave
   * with their join instead.
   */
  #retain(orderId: string): void {
    const order = this.#o.state().orders.get(orderId);
    if (order === undefined || order.parentId !== undefined || !isOver(order.state)) return;
    const endedAt = order.endedAt === undefined ? this.#o.clock.now() : Math.floor(order.endedAt / 1000);
    const first = this.#deletions.size === 0;
    this.#deletions.delete(orderId);
    this.#deletions.set(orderId, endedAt + this.#o.orderRetentionMs);
    if (first) this.#wakeup.poke();
  }

  /** Deletes the ended orders whose retention is over; returns when the next one is due (wall time), if any. */
  #deleteDue(now: number): number | undefined {
    // Not now (a switchover drains the node, or it stops): resume() pokes the loop again.
    if (!this.#o.isRunning() || !this.#o.isAdvancing()) return undefined;
    const state = this.#o.state();
    let due: Event[] = [];
    for (const [orderId, at] of this.#deletions) {
      if (at > now) return at;
      this.#deletions.delete(orderId);
      const order = state.orders.get(orderId);
      // Cut from the journal (a lost epoch) or re-added meanwhile: nothing to delete.
      if (order === undefined || order.parentId !== undefined || !isOver(order.state)) continue;
      due.push({ TYPE: 'OrderDeleted', orderId });
      if (due.length === deletionsPerRecord) {
        this.#o.persist(due);
        due = [];
      }
    }
    if (due.length > 0) this.#o.persist(due);
    return undefined;
  }

  /** A command's events were appended. */
  afterCommand(_command: Command, events: readonly Event[]): void {
    if (events.some((e) => e.TYPE === 'ScheduleDeployed')) this.#wakeup.poke();
  }

  /** Events are committed: now their side effects may happen. */
  committed(batch: readonly StampedEvent<Event>[]): void {
    for (const { event } of batch) {
      switch (event.TYPE) {
        case 'OrderProcessingStarted':
          this.#startJob(event.orderId);
          break;
        case 'OrderCancellationMarked':
          this.#running.get(event.orderId)?.kill('order cancelled');
          break;
        default:
          break;
      }
    }
  }

  /** The timer loop: wakes orders and fires schedules when they are due. */
  async runTimers(signal: AbortSignal): Promise<void> {
    const clock = this.#o.clock;
    while (!signal.aborted) {
      const now = clock.now();
      for (const [id, at] of this.#wakes) {
        if (at <= now) {
          this.#wakes.delete(id);
          this.#queue.add(id);
        }
      }
      this.#drain();
      this.#fireSchedules(now);
      const deletionDue = this.#deleteDue(now);
      let next = nextScheduleWake(this.#o.state(), now) ?? now + maxSleepMs;
      for (const at of this.#wakes.values()) next = Math.min(next, at);
      if (deletionDue !== undefined) next = Math.min(next, deletionDue);
      await this.#wakeup.sleep(Math.min(next - now, maxSleepMs), signal);
    }
  }

  #fireSchedules(now: number): void {
    if (!this.#o.isRunning() || !this.#o.isAdvancing()) return;
    const state = this.#o.state();
    for (const id of [...state.schedules.keys()]) {
      // One schedule tick and the order it adds are one record: one commit.
      const events = dueScheduleEvents(state, id, now);
      if (events.length > 0) this.#o.persist(events);
    }
  }

  #drain(): void {
    if (this.#draining || !this.#o.isRunning() || !this.#o.isAdvancing()) return;
    this.#draining = true;
    try {
      for (const id of this.#queue) {
        this.#queue.delete(id);
        const { events, wakeAt } = advanceOrder(this.#o.state(), id, this.#o.clock.now());
        if (wakeAt === undefined) {
          this.#wakes.delete(id);
        } else {
          this.#wakes.set(id, wakeAt);
          this.#wakeup.poke();
        }
        this.#o.persist(events);
      }
    } finally {
      this.#draining = false;
    }
  }

  #startJob(orderId: string): void {
    const state = this.#o.state();
    const order = state.orders.get(orderId);
    if (order === undefined || order.state.TYPE !== 'Processing' || this.#running.has(orderId)) return;
    const job = jobOf(state, order);
    const run = this.#o.executor.start({
      orderId,
      script: job.script,
      // The epoch the job was started in: a job that reports elsewhere can say which reign of which node started it.
      env: { ...job.env, TANDEM_EPOCH: String(state.epoch) },
      ...(job.timeoutMs === undefined ? {} : { timeoutMs: job.timeoutMs }),
    });
    this.#running.set(orderId, run);
    if (order.mark === 'cancel') run.kill('order cancelled');
    this.#o.supervisor.spawn(`job ${orderId}`, async () => {
      const exit = await run.done;
      this.#running.delete(orderId);
      if (this.#o.isRunning()) this.#o.persist([{ TYPE: 'OrderProcessed', orderId, outcome: outcomeOf(exit, job) }]);
      this.#jobEnded.poke();
    });
  }
}
