import { asEventId, TandemError, type EventId } from '../../src/common/index.js';
import type {
  ClusterNodeStates,
  ControllerPort,
  EventRead,
  HealthReport,
  Overview,
  StampedView,
  UserContext,
} from '../../src/api/controller-port.js';

interface Waiter {
  readonly after: EventId;
  readonly resolve: () => void;
}

/**
 * An in-memory ControllerPort for API tests: it records every command, holds
 * events the test emits, and lets the test see when a reader is waiting.
 */
export class FakeController implements ControllerPort {
  /** Every executeCommand call, in order. */
  readonly commands: { body: unknown; user: UserContext }[] = [];
  /** What executeCommand answers; replace to throw or to answer differently. */
  onCommand: (body: unknown, user: UserContext) => Promise<Readonly<Record<string, unknown>>> = async () => ({ TYPE: 'Accepted' });
  readonly orderMap = new Map<string, unknown>();
  readonly workflowMap = new Map<string, unknown>();
  readonly logs = new Map<string, { eventId: EventId; stream: 'stdout' | 'stderr'; chunk: string }[]>();
  liveReport: HealthReport = { ok: true, reasons: [] };
  readyReport: HealthReport = { ok: true, reasons: [] };
  isActive = true;
  /** Events at or before this were dropped: reading after an earlier id is Torn. */
  tornBefore: EventId = asEventId(0);

  readonly #events: StampedView[] = [];
  #waiters = new Set<Waiter>();
  #nextId = 1000;
  #changeListeners: (() => void)[] = [];

  /** Appends committed events and wakes waiting readers; returns their EventIds. */
  emit(...events: Readonly<Record<string, unknown>>[]): EventId[] {
    const ids: EventId[] = [];
    for (const event of events) {
      this.#nextId += 1;
      const eventId = asEventId(this.#nextId);
      this.#events.push({ eventId, event });
      ids.push(eventId);
    }
    for (const w of [...this.#waiters]) {
      if (this.lastEventId > w.after) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
    this.#changed();
    return ids;
  }

  get lastEventId(): EventId {
    return this.#events.at(-1)?.eventId ?? asEventId(1000);
  }

  /** Readers blocked in waitForEvent right now. */
  get waiterCount(): number {
    return this.#waiters.size;
  }

  /** Resolves once `predicate` holds; it is checked whenever a reader starts or stops waiting. */
  async until(predicate: (fake: FakeController) => boolean, signal: AbortSignal): Promise<void> {
    while (!predicate(this)) {
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        this.#changeListeners.push(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  #changed(): void {
    const listeners = this.#changeListeners;
    this.#changeListeners = [];
    for (const l of listeners) l();
  }

  overview(): Overview {
    return {
      id: 'fake',
      version: '0.0.0-test',
      startedAt: 0,
      nodeId: 'Primary',
      role: 'Standalone',
      isActive: this.isActive,
      epoch: 0,
      lastEventId: this.lastEventId,
      orderCount: this.orderMap.size,
    };
  }

  async executeCommand(body: unknown, user: UserContext): Promise<Readonly<Record<string, unknown>>> {
    this.commands.push({ body, user });
    return this.onCommand(body, user);
  }

  orders(): readonly unknown[] {
    return [...this.orderMap.values()];
  }

  order(orderId: string): unknown {
    return this.orderMap.get(orderId);
  }

  workflows(): readonly unknown[] {
    return [...this.workflowMap.values()];
  }

  workflow(path: string): unknown {
    return this.workflowMap.get(path);
  }

  async jobLog(orderId: string, after: EventId | undefined, limit: number): Promise<readonly unknown[]> {
    // As the real one: an order that left the state still has its output.
    if (!this.orderMap.has(orderId) && !this.logs.has(orderId)) throw new TandemError('UnknownOrder', `No order ${orderId}`, { orderId });
    const entries = this.logs.get(orderId) ?? [];
    return entries.filter((e) => after === undefined || e.eventId > after).slice(0, limit);
  }

  readEvents(after: EventId, limit: number): EventRead {
    if (after < this.tornBefore) {
      return { TYPE: 'Torn', after, oldestEventId: this.#events.find((e) => e.eventId > this.tornBefore)?.eventId ?? this.lastEventId };
    }
    const stamped = this.#events.filter((e) => e.eventId > after).slice(0, limit);
    return stamped.length === 0 ? { TYPE: 'Empty', lastEventId: this.lastEventId } : { TYPE: 'NonEmpty', stamped };
  }

  waitForEvent(after: EventId, signal: AbortSignal): Promise<void> {
    if (this.lastEventId > after) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const waiter: Waiter = {
        after,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        this.#changed();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
      this.#changed();
    });
  }

  clusterView(nodeState: boolean): Readonly<Record<string, unknown>> {
    return nodeState ? { nodeId: 'Primary', role: { TYPE: 'Active' }, clusterState: { TYPE: 'Empty' } } : { TYPE: 'Empty' };
  }

  async clusterNodeStates(): Promise<ClusterNodeStates> {
    return { TYPE: 'ClusterNodeStates', nodes: [{ nodeId: 'Primary', uri: null, self: true, reachable: true, nodeState: this.clusterView(true) }] };
  }

  live(): HealthReport {
    return this.liveReport;
  }

  ready(): HealthReport {
    return this.readyReport;
  }

  async metricsText(): Promise<string> {
    return '# HELP tandem_fake_figure A figure of the fake controller.\n# TYPE tandem_fake_figure gauge\ntandem_fake_figure 7\n';
  }
}
