import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advanceOrder, ordersToKill } from '../../../src/workflow/index.js';
import { Simulator, execute, exit } from './simulator.js';

const failing = (rc: number) => () => exit(rc);

describe('engine: Fork', () => {
  const fork = { TYPE: 'Fork', branches: [{ id: 'a', instructions: [execute('a')] }, { id: 'b', instructions: [execute('b1'), execute('b2')] }] };

  it('runs the branches as child orders and joins when all finish', () => {
    const sim = new Simulator();
    sim.deploy('w', [fork, execute('after')]);
    sim.addOrder('p', 'w', { k: 'v' });
    const parent = sim.order('p');
    assert.deepEqual(parent.state, {
      TYPE: 'Waiting',
      reason: { TYPE: 'Forked', children: [{ orderId: 'p|a', branchId: 'a' }, { orderId: 'p|b', branchId: 'b' }] },
    });
    const child = sim.order('p|a');
    assert.deepEqual(child.position, [0, 'fork+a', 0]);
    assert.equal(child.parentId, 'p');
    assert.deepEqual(child.arguments, { k: 'v' });
    const ran = sim.runJobs();
    assert.deepEqual(ran.map((j) => j.script).sort(), ['a', 'after', 'b1', 'b2']);
    assert.equal(ran.at(-1)?.script, 'after', 'the parent goes on only after the join');
    const p = sim.order('p');
    assert.equal(p.state.TYPE, 'Finished');
    assert.deepEqual(p.position, [2]);
    assert.deepEqual(p.outcomes, [{ TYPE: 'Succeeded', returnCode: 0 }, { TYPE: 'Succeeded', returnCode: 0 }]);
    assert.equal(sim.state.orders.has('p|a'), false, 'children are gone after the join');
  });

  it('fails the join when a branch fails, naming the branch', () => {
    const sim = new Simulator();
    sim.deploy('w', [fork, execute('after')]);
    sim.addOrder('p', 'w');
    const ran = sim.runJobs((j) => exit(j.script === 'b1' ? 4 : 0));
    assert.deepEqual(ran.map((j) => j.script).sort(), ['a', 'b1']);
    const p = sim.order('p');
    assert.equal(p.state.TYPE, 'Failed');
    assert.deepEqual(p.position, [0]);
    const last = p.outcomes.at(-1);
    assert.match(last?.TYPE === 'Failed' ? last.message : '', /branch b failed: return code 4/);
  });

  it('a failed fork can be caught', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'TryCatch', try: [fork], catch: [execute('recover')] }]);
    sim.addOrder('p', 'w');
    sim.runJobs((j) => exit(j.script === 'a' ? 1 : 0));
    assert.equal(sim.order('p').state.TYPE, 'Finished');
    assert.ok(sim.eventTypes('p').includes('OrderCaught'));
  });

  it('a failure inside a branch does not escape to a try around the fork before the join', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'TryCatch', try: [fork], catch: [execute('recover')] }]);
    sim.addOrder('p', 'w');
    sim.endJob('p|a', exit(1));
    assert.equal(sim.order('p|a').state.TYPE, 'Failed');
    assert.equal(sim.order('p').state.TYPE, 'Waiting');
  });

  it('cancelling the parent cancels the children and then the parent', () => {
    const sim = new Simulator();
    sim.deploy('w', [fork]);
    sim.addOrder('p', 'w');
    sim.command({ TYPE: 'CancelOrders', orderIds: ['p'] });
    assert.equal(sim.order('p').mark, 'cancel');
    assert.equal(sim.order('p|a').mark, 'cancel');
    sim.runJobs();
    assert.equal(sim.order('p').state.TYPE, 'Cancelled');
    assert.equal(sim.state.orders.has('p|a'), false);
  });
});

describe('engine: marks and disruption', () => {
  it('cancel while processing marks, asks for a kill, and cancels when the job ends', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('sleep 100'), execute('after')]);
    sim.addOrder('o', 'w');
    const before = sim.log.length;
    sim.command({ TYPE: 'CancelOrders', orderIds: ['o'] });
    const events = sim.log.slice(before);
    assert.deepEqual(ordersToKill(events), ['o']);
    assert.equal(sim.order('o').state.TYPE, 'Processing');
    sim.endJob('o', { returnCode: null, signal: 'SIGTERM', timedOut: false, killed: true });
    assert.equal(sim.order('o').state.TYPE, 'Cancelled');
    assert.equal(sim.order('o').mark, undefined);
    assert.equal(sim.processing().length, 0);
  });

  it('suspend while processing takes effect after the job, at the next position; resume goes on', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('one'), execute('two')]);
    sim.addOrder('o', 'w');
    sim.command({ TYPE: 'SuspendOrders', orderIds: ['o'] });
    assert.equal(sim.order('o').mark, 'suspend');
    sim.endJob('o', exit(0));
    assert.deepEqual(sim.order('o').state, { TYPE: 'Suspended' });
    assert.deepEqual(sim.order('o').position, [1]);
    sim.command({ TYPE: 'ResumeOrders', orderIds: ['o'] });
    assert.deepEqual(sim.runJobs().map((j) => j.script), ['two']);
    assert.equal(sim.order('o').state.TYPE, 'Finished');
  });

  it('resuming before a suspension mark takes effect withdraws it', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('one'), execute('two')]);
    sim.addOrder('o', 'w');
    sim.command({ TYPE: 'SuspendOrders', orderIds: ['o'] });
    sim.command({ TYPE: 'ResumeOrders', orderIds: ['o'] });
    assert.equal(sim.order('o').mark, undefined);
    sim.runJobs();
    assert.equal(sim.order('o').state.TYPE, 'Finished');
  });

  it('a suspended fresh order returns to Fresh and still waits for its time', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('x')]);
    sim.addOrder('o', 'w', {}, sim.now + 1000);
    sim.command({ TYPE: 'SuspendOrders', orderIds: ['o'] });
    assert.deepEqual(sim.order('o').state, { TYPE: 'Suspended', fresh: true });
    sim.command({ TYPE: 'ResumeOrders', orderIds: ['o'] });
    assert.equal(sim.order('o').state.TYPE, 'Fresh');
  });

  it('a disrupted restartable job runs again as a new attempt', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('x', { restartable: true })]);
    sim.addOrder('o', 'w');
    sim.commit([{ TYPE: 'OrderProcessed', orderId: 'o', outcome: { TYPE: 'Disrupted', reason: 'controller died' } }]);
    const o = sim.order('o');
    assert.equal(o.state.TYPE, 'Processing');
    assert.equal(o.attempt, 2);
    assert.deepEqual(sim.eventTypes('o').slice(-3), ['OrderProcessed', 'OrderRestarted', 'OrderProcessingStarted']);
    sim.runJobs();
    assert.equal(sim.order('o').state.TYPE, 'Finished');
  });

  it('a disrupted job that is not restartable stays Disrupted until resumed', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('x')]);
    sim.addOrder('o', 'w');
    sim.commit([{ TYPE: 'OrderProcessed', orderId: 'o', outcome: { TYPE: 'Disrupted', reason: 'controller died' } }]);
    assert.equal(sim.order('o').state.TYPE, 'Disrupted');
    assert.deepEqual(advanceOrder(sim.state, 'o', sim.now).events, []);
    sim.command({ TYPE: 'ResumeOrders', orderIds: ['o'] });
    assert.equal(sim.order('o').state.TYPE, 'Processing');
    assert.equal(sim.order('o').attempt, 2);
  });

  it('a failed order can be resumed and runs the job again', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('x')]);
    sim.addOrder('o', 'w');
    sim.runJobs(failing(1));
    sim.command({ TYPE: 'ResumeOrders', orderIds: ['o'] });
    sim.runJobs();
    assert.equal(sim.order('o').state.TYPE, 'Finished');
    assert.deepEqual(sim.order('o').outcomes.map((x) => x.TYPE), ['Failed', 'Succeeded']);
  });

  it('advanceOrder of an unknown order yields nothing', () => {
    assert.deepEqual(advanceOrder(new Simulator().state, 'nope', 0), { events: [] });
  });
});
