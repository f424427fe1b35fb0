import { latestWorkflow, type ControllerState, type Event } from '../state/index.js';
import { countTicks, cronOf, nextTick, prevTick } from './cron.js';

export interface CatchUpOptions {
  /** At most this many missed ticks are fired one by one; beyond it only the newest fires. */
  readonly catchUpLimit?: number;
}

/** The order a tick adds has this id, so firing the same tick again adds nothing. */
export function scheduledOrderId(scheduleId: string, tick: number): string {
  return `${scheduleId}#${new Date(tick).toISOString()}`;
}

/**
 * The events that fire every tick of a schedule that is due by `now` (after its last
 * tick, or after its deploy time). Each ScheduleFired goes with the OrderAdded it
 * causes; the caller must append them as one commit. When more ticks were missed than
 * the limit, only the newest fires and a ScheduleTicksSkipped says what was dropped.
 */
export function dueScheduleEvents(state: ControllerState, scheduleId: string, now: number, options: CatchUpOptions = {}): Event[] {
  const scheduled = state.schedules.get(scheduleId);
  if (scheduled === undefined) return [];
  const { schedule, lastTick } = scheduled;
  // Workflows are never removed while a schedule is deployed; a missing one fires nothing rather than half a tick.
  const workflow = latestWorkflow(state, schedule.workflowPath);
  if (workflow === undefined) return [];
  const limit = Math.max(1, options.catchUpLimit ?? 100);
  const expr = cronOf(schedule.cron);

  const ticks: number[] = [];
  for (let t = nextTick(expr, lastTick); t <= now && ticks.length <= limit; t = nextTick(expr, t)) ticks.push(t);

  const events: Event[] = [];
  let toFire = ticks;
  const firstMissed = ticks[0];
  if (ticks.length > limit && firstMissed !== undefined) {
    const newest = prevTick(expr, now, firstMissed) ?? firstMissed;
    const lastSkipped = prevTick(expr, newest - 1, firstMissed) ?? firstMissed;
    events.push({
      TYPE: 'ScheduleTicksSkipped',
      scheduleId,
      from: firstMissed,
      to: lastSkipped,
      count: countTicks(expr, lastTick, now) - 1,
    });
    toFire = [newest];
  }
  for (const tick of toFire) {
    events.push({ TYPE: 'ScheduleFired', scheduleId, tick });
    const orderId = scheduledOrderId(scheduleId, tick);
    if (state.orders.has(orderId)) continue;
    events.push({
      TYPE: 'OrderAdded',
      orderId,
      workflowPath: workflow.path,
      workflowVersion: workflow.versionId,
      arguments: schedule.arguments,
    });
  }
  return events;
}

/**
 * When the earliest schedule is due next, or undefined without schedules. A time at or
 * before `now` means a tick is due already (`now` is part of the signature so callers
 * need not know that no clock is read here).
 */
export function nextScheduleWake(state: ControllerState, _now: number): number | undefined {
  let earliest: number | undefined;
  for (const { schedule, lastTick } of state.schedules.values()) {
    const t = nextTick(cronOf(schedule.cron), lastTick);
    if (earliest === undefined || t < earliest) earliest = t;
  }
  return earliest;
}
