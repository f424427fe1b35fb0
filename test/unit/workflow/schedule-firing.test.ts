import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../../src/state/index.js';
import { dueScheduleEvents, nextScheduleWake, scheduledOrderId } from '../../../src/workflow/index.js';
import { Simulator, execute } from './simulator.js';

const MINUTE = 60_000;

function scheduled(cron: string): Simulator {
  const sim = new Simulator();
  sim.now = Date.parse('2026-01-01T00:00:30Z');
  sim.deploy('w', [execute('echo $N', { env: { N: '$n' } })]);
  sim.command({ TYPE: 'DeploySchedule', schedule: { id: 'every', workflowPath: 'w', cron, arguments: { n: 'x' } } });
  return sim;
}

const types = (events: readonly Event[]): string[] => events.map((e) => e.TYPE);

describe('schedules: firing', () => {
  it('fires nothing before the first tick after the deploy', () => {
    const sim = scheduled('* * * * *');
    assert.deepEqual(dueScheduleEvents(sim.state, 'every', sim.now), []);
    assert.equal(nextScheduleWake(sim.state, sim.now), Date.parse('2026-01-01T00:01:00Z'));
  });

  it('fires a due tick as ScheduleFired + OrderAdded with a deterministic id, and the order runs', () => {
    const sim = scheduled('* * * * *');
    sim.now = Date.parse('2026-01-01T00:01:00Z');
    const events = dueScheduleEvents(sim.state, 'every', sim.now);
    const tick = Date.parse('2026-01-01T00:01:00Z');
    assert.deepEqual(events, [
      { TYPE: 'ScheduleFired', scheduleId: 'every', tick },
      { TYPE: 'OrderAdded', orderId: 'every#2026-01-01T00:01:00.000Z', workflowPath: 'w', workflowVersion: 1, arguments: { n: 'x' } },
    ]);
    sim.commit(events);
    assert.deepEqual(sim.runJobs().map((j) => j.env), [{ N: 'x' }]);
    assert.equal(sim.order(scheduledOrderId('every', tick)).state.TYPE, 'Finished');
    assert.equal(sim.state.schedules.get('every')?.lastTick, tick);
    assert.deepEqual(dueScheduleEvents(sim.state, 'every', sim.now), [], 'a fired tick does not fire again');
  });

  it('catches up every missed tick up to the limit, oldest first', () => {
    const sim = scheduled('* * * * *');
    sim.now += 5 * MINUTE;
    const events = dueScheduleEvents(sim.state, 'every', sim.now);
    assert.deepEqual(types(events), Array.from({ length: 5 }, () => ['ScheduleFired', 'OrderAdded']).flat());
    const ticks = events.flatMap((e) => (e.TYPE === 'ScheduleFired' ? [e.tick] : []));
    assert.deepEqual(ticks.map((t) => new Date(t).toISOString().slice(11, 16)), ['00:01', '00:02', '00:03', '00:04', '00:05']);
    sim.commit(events);
    assert.equal(sim.processing().length, 5);
  });

  it('past the limit fires only the newest tick and says what it skipped', () => {
    const sim = scheduled('* * * * *');
    sim.now += 10 * MINUTE;
    const events = dueScheduleEvents(sim.state, 'every', sim.now, { catchUpLimit: 3 });
    assert.deepEqual(events, [
      {
        TYPE: 'ScheduleTicksSkipped',
        scheduleId: 'every',
        from: Date.parse('2026-01-01T00:01:00Z'),
        to: Date.parse('2026-01-01T00:09:00Z'),
        count: 9,
      },
      { TYPE: 'ScheduleFired', scheduleId: 'every', tick: Date.parse('2026-01-01T00:10:00Z') },
      { TYPE: 'OrderAdded', orderId: 'every#2026-01-01T00:10:00.000Z', workflowPath: 'w', workflowVersion: 1, arguments: { n: 'x' } },
    ]);
    sim.commit(events);
    assert.equal(sim.state.orders.size, 1);
  });

  // A tick-by-tick walk over a century of seconds (3·10⁹ ticks) would run into the timeout.
  it('a century of missed per-second ticks is skipped without walking them and counted exactly', { timeout: 30_000 }, () => {
    const sim = scheduled('* * * * * *');
    const deployedAt = sim.now;
    sim.now = Date.parse('2126-01-01T00:00:30Z');
    const events = dueScheduleEvents(sim.state, 'every', sim.now);
    const skipped = events[0];
    assert.equal(skipped?.TYPE, 'ScheduleTicksSkipped');
    assert.equal(skipped.TYPE === 'ScheduleTicksSkipped' ? skipped.count : 0, (sim.now - deployedAt) / 1000 - 1);
    assert.deepEqual(events[1], { TYPE: 'ScheduleFired', scheduleId: 'every', tick: sim.now });
  });

  it('firing a tick whose order exists already adds no second order', () => {
    const sim = scheduled('* * * * *');
    const tick = Date.parse('2026-01-01T00:01:00Z');
    sim.command({ TYPE: 'AddOrder', order: { id: scheduledOrderId('every', tick), workflowPath: 'w', arguments: { n: 'x' } } });
    sim.now = tick;
    assert.deepEqual(dueScheduleEvents(sim.state, 'every', sim.now), [{ TYPE: 'ScheduleFired', scheduleId: 'every', tick }]);
  });

  it('nextScheduleWake is the earliest next tick of all schedules', () => {
    const sim = scheduled('0 * * * *');
    sim.command({ TYPE: 'DeploySchedule', schedule: { id: 'soon', workflowPath: 'w', cron: '*/5 * * * *' } });
    assert.equal(nextScheduleWake(sim.state, sim.now), Date.parse('2026-01-01T00:05:00Z'));
    sim.command({ TYPE: 'DeleteSchedule', scheduleId: 'soon' });
    sim.command({ TYPE: 'DeleteSchedule', scheduleId: 'every' });
    assert.equal(nextScheduleWake(sim.state, sim.now), undefined);
  });

  it('an unknown schedule fires nothing', () => {
    assert.deepEqual(dueScheduleEvents(new Simulator().state, 'ghost', 0), []);
  });
});
