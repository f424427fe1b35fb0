import { asEventId } from '../../../src/common/index.js';
import { applyEvent, emptyState, type ControllerState, type Event, type Order } from '../../../src/state/index.js';
import {
  advanceOrder,
  decideCommand,
  jobOf,
  ordersToAdvance,
  outcomeOf,
  parseCommand,
  type Accepted,
  type BusinessCommand,
  type JobEnd,
  type PreparedJob,
} from '../../../src/workflow/index.js';

/** Decides how a simulated job ends. */
export type JobScript = (job: PreparedJob, order: Order) => JobEnd;

export const exit = (returnCode: number): JobEnd => ({ returnCode, signal: null, timedOut: false });

/**
 * Drives the pure domain the way the controller does, without I/O: commands become
 * events, events are folded, touched orders are advanced until they rest, and jobs
 * "run" by feeding chosen process ends back as OrderProcessed.
 */
export class Simulator {
  readonly state: ControllerState = emptyState();
  readonly log: Event[] = [];
  now = Date.UTC(2026, 0, 1);
  readonly #wakes = new Map<string, number>();
  #eventId = 1;

  command(body: unknown): Accepted {
    const command = parseCommand(body);
    if (command.TYPE === 'TakeSnapshot' || command.TYPE === 'ShutDown') throw new Error('not a business command');
    const { events, response } = decideCommand(this.state, command satisfies BusinessCommand, this.now);
    this.commit(events);
    return response;
  }

  deploy(path: string, instructions: unknown[]): void {
    this.command({ TYPE: 'DeployWorkflow', workflow: { path, instructions } });
  }

  addOrder(id: string, workflowPath: string, args: Record<string, string | number | boolean> = {}, scheduledFor?: number): void {
    this.command({ TYPE: 'AddOrder', order: { id, workflowPath, arguments: args, ...(scheduledFor === undefined ? {} : { scheduledFor }) } });
  }

  /** Folds events and advances every order they touched, to rest. */
  commit(events: readonly Event[]): void {
    this.#apply(events);
    const queue = ordersToAdvance(events);
    for (let guard = 0; queue.length > 0; guard++) {
      if (guard > 10_000) throw new Error('orders do not come to rest');
      const id = queue.shift() ?? '';
      const advanced = advanceOrder(this.state, id, this.now);
      if (advanced.wakeAt === undefined) this.#wakes.delete(id);
      else this.#wakes.set(id, advanced.wakeAt);
      this.#apply(advanced.events);
      queue.push(...ordersToAdvance(advanced.events));
    }
  }

  #apply(events: readonly Event[]): void {
    for (const event of events) {
      applyEvent(this.state, { eventId: asEventId(this.#eventId++), event });
      this.log.push(event);
    }
  }

  processing(): Order[] {
    return [...this.state.orders.values()].filter((o) => o.state.TYPE === 'Processing');
  }

  /** Ends the job of one processing order. */
  endJob(orderId: string, end: JobEnd): void {
    const order = this.order(orderId);
    if (order.state.TYPE !== 'Processing') throw new Error(`${orderId} is ${order.state.TYPE}, not Processing`);
    const job = jobOf(this.state, order);
    this.commit([{ TYPE: 'OrderProcessed', orderId, outcome: outcomeOf(end, job) }]);
  }

  /** Runs jobs (in id order) until none is processing; returns the jobs run. */
  runJobs(script: JobScript = () => exit(0), limit = 1000): PreparedJob[] {
    const ran: PreparedJob[] = [];
    for (let running = this.processing(); running.length > 0; running = this.processing()) {
      for (const order of running) {
        if (ran.length >= limit) throw new Error('too many jobs');
        const job = jobOf(this.state, order);
        ran.push(job);
        this.endJob(order.id, script(job, order));
      }
    }
    return ran;
  }

  /** Moves time on and advances the orders that wait for it. */
  advanceTime(ms: number): void {
    this.now += ms;
    const due = [...this.#wakes].filter(([, at]) => at <= this.now).map(([id]) => id);
    for (const id of due) {
      this.#wakes.delete(id);
      const advanced = advanceOrder(this.state, id, this.now);
      if (advanced.wakeAt !== undefined) this.#wakes.set(id, advanced.wakeAt);
      this.commit(advanced.events);
    }
  }

  wakeAt(orderId: string): number | undefined {
    return this.#wakes.get(orderId);
  }

  order(id: string): Order {
    const o = this.state.orders.get(id);
    if (o === undefined) throw new Error(`no order ${id}`);
    return o;
  }

  /** The TYPEs of the events logged for one order, in order. */
  eventTypes(orderId: string): string[] {
    return this.log.filter((e) => 'orderId' in e && e.orderId === orderId).map((e) => e.TYPE);
  }
}

export const execute = (script: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  TYPE: 'Execute',
  job: { script, ...extra },
});
