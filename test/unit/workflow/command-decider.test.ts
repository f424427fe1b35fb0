import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCode, type ErrorCode } from '../../../src/common/index.js';
import { Simulator, execute, exit } from './simulator.js';

function refuses(sim: Simulator, body: unknown, code: ErrorCode): void {
  const before = sim.log.length;
  assert.throws(() => sim.command(body), (err: unknown) => hasCode(err, code));
  assert.equal(sim.log.length, before, 'a refused command writes no event');
}

function withWorkflow(): Simulator {
  const sim = new Simulator();
  sim.deploy('w', [execute('x')]);
  return sim;
}

describe('decideCommand: DeployWorkflow', () => {
  it('gives each changed deploy a new version and answers it', () => {
    const sim = new Simulator();
    assert.deepEqual(sim.command({ TYPE: 'DeployWorkflow', workflow: { path: 'w', instructions: [execute('a')] } }), { TYPE: 'Accepted', versionId: 1 });
    assert.deepEqual(sim.command({ TYPE: 'DeployWorkflow', workflow: { path: 'w', instructions: [execute('b')] } }), { TYPE: 'Accepted', versionId: 2 });
    assert.equal(sim.state.workflows.get('w')?.get(2)?.versionId, 2);
  });

  it('an unchanged deploy adds no version', () => {
    const sim = withWorkflow();
    const before = sim.log.length;
    assert.deepEqual(sim.command({ TYPE: 'DeployWorkflow', workflow: { path: 'w', instructions: [execute('x')] } }), { TYPE: 'Accepted', duplicate: true, versionId: 1 });
    assert.equal(sim.log.length, before);
  });

  it('orders keep running the version they started with', () => {
    const sim = withWorkflow();
    sim.addOrder('o', 'w');
    sim.deploy('w', [execute('y')]);
    assert.deepEqual(sim.runJobs().map((j) => j.script), ['x']);
    sim.addOrder('o2', 'w');
    assert.deepEqual(sim.runJobs().map((j) => j.script), ['y']);
  });
});

describe('decideCommand: AddOrder', () => {
  it('is idempotent by id: the same order again adds nothing', () => {
    const sim = withWorkflow();
    const body = { TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w', arguments: { a: 1, b: 'x' } } };
    assert.deepEqual(sim.command(body), { TYPE: 'Accepted' });
    const before = sim.log.length;
    assert.deepEqual(sim.command({ TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w', arguments: { b: 'x', a: 1 } } }), { TYPE: 'Accepted', duplicate: true });
    assert.equal(sim.log.length, before);
    assert.equal(sim.state.orders.size, 1);
  });

  it('is idempotent even after the order finished', () => {
    const sim = withWorkflow();
    sim.addOrder('o', 'w');
    sim.runJobs();
    assert.deepEqual(sim.command({ TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w' } }), { TYPE: 'Accepted', duplicate: true });
    assert.equal(sim.processing().length, 0);
  });

  it('refuses the same id with other arguments or another workflow', () => {
    const sim = withWorkflow();
    sim.deploy('v', [execute('v')]);
    sim.addOrder('o', 'w', { a: 1 });
    refuses(sim, { TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w', arguments: { a: 2 } } }, 'OrderIdConflict');
    refuses(sim, { TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'v', arguments: { a: 1 } } }, 'OrderIdConflict');
  });

  it('refuses an unknown workflow', () => refuses(new Simulator(), { TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'nope' } }, 'UnknownWorkflow'));
});

describe('decideCommand: Cancel, Suspend, Resume', () => {
  it('changes Fresh and Ready orders at once', () => {
    const sim = withWorkflow();
    sim.addOrder('a', 'w', {}, sim.now + 10_000);
    sim.addOrder('b', 'w', {}, sim.now + 10_000);
    sim.command({ TYPE: 'CancelOrders', orderIds: ['a'] });
    sim.command({ TYPE: 'SuspendOrders', orderIds: ['b'] });
    assert.equal(sim.order('a').state.TYPE, 'Cancelled');
    assert.equal(sim.order('b').state.TYPE, 'Suspended');
  });

  it('cancelling twice is fine; cancelling a finished order is not', () => {
    const sim = withWorkflow();
    sim.addOrder('a', 'w', {}, sim.now + 10_000);
    sim.addOrder('done', 'w');
    sim.runJobs();
    sim.command({ TYPE: 'CancelOrders', orderIds: ['a'] });
    const before = sim.log.length;
    sim.command({ TYPE: 'CancelOrders', orderIds: ['a', 'a'] });
    assert.equal(sim.log.length, before);
    refuses(sim, { TYPE: 'CancelOrders', orderIds: ['done'] }, 'OrderNotSuspendable');
  });

  it('refuses the whole command when one order is unknown', () => {
    const sim = withWorkflow();
    sim.addOrder('a', 'w', {}, sim.now + 10_000);
    refuses(sim, { TYPE: 'CancelOrders', orderIds: ['a', 'ghost'] }, 'UnknownOrder');
    assert.equal(sim.order('a').state.TYPE, 'Fresh');
  });

  it('refuses impossible transitions', () => {
    const sim = withWorkflow();
    sim.addOrder('ready', 'w', {}, sim.now + 10_000);
    sim.addOrder('failed', 'w');
    sim.runJobs(() => exit(1));
    refuses(sim, { TYPE: 'ResumeOrders', orderIds: ['ready'] }, 'OrderNotSuspendable');
    refuses(sim, { TYPE: 'SuspendOrders', orderIds: ['failed'] }, 'OrderNotSuspendable');
    sim.addOrder('running', 'w');
    sim.command({ TYPE: 'CancelOrders', orderIds: ['running'] });
    refuses(sim, { TYPE: 'SuspendOrders', orderIds: ['running'] }, 'OrderNotSuspendable');
  });

  it('suspends a delayed retry at once and resumes it without the delay', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'Retry', maxTries: 2, retryDelays: ['1h'], instructions: [execute('x')] }]);
    sim.addOrder('o', 'w');
    sim.runJobs(() => exit(1));
    assert.equal(sim.order('o').state.TYPE, 'Waiting');
    sim.command({ TYPE: 'SuspendOrders', orderIds: ['o'] });
    assert.equal(sim.order('o').state.TYPE, 'Suspended');
    sim.command({ TYPE: 'ResumeOrders', orderIds: ['o'] });
    assert.equal(sim.order('o').state.TYPE, 'Processing');
  });
});

describe('decideCommand: schedules', () => {
  it('deploys, keeps an unchanged deploy idempotent, and deletes', () => {
    const sim = withWorkflow();
    const body = { TYPE: 'DeploySchedule', schedule: { id: 's', workflowPath: 'w', cron: '0 * * * *' } };
    sim.command(body);
    assert.deepEqual(sim.state.schedules.get('s'), { schedule: { id: 's', workflowPath: 'w', cron: '0 * * * *', arguments: {} }, lastTick: sim.now });
    assert.deepEqual(sim.command(body), { TYPE: 'Accepted', duplicate: true });
    sim.command({ TYPE: 'DeleteSchedule', scheduleId: 's' });
    assert.equal(sim.state.schedules.size, 0);
    refuses(sim, { TYPE: 'DeleteSchedule', scheduleId: 's' }, 'UnknownSchedule');
  });

  it('refuses a schedule for an unknown workflow', () =>
    refuses(new Simulator(), { TYPE: 'DeploySchedule', schedule: { id: 's', workflowPath: 'nope', cron: '* * * * *' } }, 'UnknownWorkflow'));
});
