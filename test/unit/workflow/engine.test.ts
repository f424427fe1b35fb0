import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advanceOrder, jobOf } from '../../../src/workflow/index.js';
import { Simulator, execute, exit } from './simulator.js';

const failing = (rc: number) => () => exit(rc);

describe('engine: Execute', () => {
  it('runs one job and finishes at [1] with its outcome', () => {
    const sim = new Simulator();
    sim.deploy('demo/hello', [execute('echo hello $NAME', { env: { NAME: '$name' } })]);
    sim.addOrder('o-1', 'demo/hello', { name: 'world' });
    assert.equal(sim.order('o-1').state.TYPE, 'Processing');
    const [job] = sim.runJobs();
    assert.deepEqual(job?.env, { NAME: 'world' });
    assert.equal(job?.script, 'echo hello $NAME');
    const o = sim.order('o-1');
    assert.deepEqual(o.state, { TYPE: 'Finished' });
    assert.deepEqual(o.position, [1]);
    assert.deepEqual(o.outcomes, [{ TYPE: 'Succeeded', returnCode: 0 }]);
    assert.deepEqual(sim.eventTypes('o-1'), ['OrderAdded', 'OrderStarted', 'OrderProcessingStarted', 'OrderProcessed', 'OrderMoved', 'OrderFinished']);
  });

  it('stops at OrderProcessingStarted: the job starts only after that is committed', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('true')]);
    sim.command({ TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w' } });
    const o = sim.order('o');
    assert.equal(o.state.TYPE, 'Processing');
    assert.equal(o.attempt, 1);
    assert.deepEqual(advanceOrder(sim.state, 'o', sim.now).events, []);
  });

  it('fails the order on a failing return code, staying at the job', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('exit 3'), execute('echo never')]);
    sim.addOrder('o', 'w');
    const ran = sim.runJobs(failing(3));
    assert.equal(ran.length, 1);
    const o = sim.order('o');
    assert.equal(o.state.TYPE, 'Failed');
    assert.deepEqual(o.position, [0]);
    assert.deepEqual(o.outcomes, [{ TYPE: 'Failed', returnCode: 3, message: 'return code 3 means failure' }]);
  });

  it('honours returnCodeMeaning success and failure lists', () => {
    const sim = new Simulator();
    sim.deploy('ok', [execute('x', { returnCodeMeaning: { success: [0, 1] } })]);
    sim.deploy('bad', [execute('x', { returnCodeMeaning: { failure: [2] } })]);
    sim.addOrder('a', 'ok');
    sim.addOrder('b', 'bad');
    sim.runJobs(failing(1));
    assert.equal(sim.order('a').state.TYPE, 'Finished');
    assert.equal(sim.order('b').state.TYPE, 'Finished');
    sim.addOrder('c', 'bad');
    sim.runJobs(failing(2));
    assert.equal(sim.order('c').state.TYPE, 'Failed');
  });

  it('fails with a clear message when an env argument is missing, without starting the job', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('echo $X', { env: { X: '$missing', LIT: '$$HOME', PLAIN: 'p' } })]);
    sim.addOrder('o', 'w');
    const o = sim.order('o');
    assert.equal(o.state.TYPE, 'Failed');
    assert.equal(sim.processing().length, 0);
    const last = o.outcomes.at(-1);
    assert.equal(last?.TYPE, 'Failed');
    assert.match(last?.TYPE === 'Failed' ? last.message : '', /env X refers to the argument \$missing, which order o does not have/);
  });

  it('resolves $$ to a literal $ and passes the timeout to the executor', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('env', { env: { LIT: '$$HOME', N: '$n', PLAIN: 'p' }, timeout: '1.5s' })]);
    sim.addOrder('o', 'w', { n: 7 });
    const job = jobOf(sim.state, sim.order('o'));
    assert.deepEqual(job.env, { LIT: '$HOME', N: '7', PLAIN: 'p' });
    assert.equal(job.timeoutMs, 1500);
  });

  it('waits for scheduledFor, then starts', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('true')]);
    sim.addOrder('o', 'w', {}, sim.now + 60_000);
    assert.equal(sim.order('o').state.TYPE, 'Fresh');
    assert.equal(sim.wakeAt('o'), sim.now + 60_000);
    sim.advanceTime(59_999);
    assert.equal(sim.order('o').state.TYPE, 'Fresh');
    sim.advanceTime(1);
    assert.equal(sim.order('o').state.TYPE, 'Processing');
  });
});

describe('engine: If', () => {
  const workflow = [
    { TYPE: 'If', predicate: "$name == 'x'", then: [execute('then')], else: [execute('else')] },
    execute('after'),
  ];

  for (const [name, branch] of [
    ['x', 'then'],
    ['y', 'else'],
  ] as const) {
    it(`takes the ${branch} branch when name is ${name}`, () => {
      const sim = new Simulator();
      sim.deploy('w', workflow);
      sim.addOrder('o', 'w', { name });
      assert.deepEqual(sim.order('o').position, [0, branch, 0]);
      assert.deepEqual(sim.runJobs().map((j) => j.script), [branch, 'after']);
      assert.deepEqual(sim.order('o').position, [2]);
      assert.equal(sim.order('o').state.TYPE, 'Finished');
    });
  }

  it('skips an If without else when the predicate is false', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'If', predicate: 'false', then: [execute('then')] }, execute('after')]);
    sim.addOrder('o', 'w');
    assert.deepEqual(sim.runJobs().map((j) => j.script), ['after']);
  });

  it('sees $returnCode of the last job', () => {
    const sim = new Simulator();
    sim.deploy('w', [
      execute('probe', { returnCodeMeaning: { success: [0, 1] } }),
      { TYPE: 'If', predicate: '$returnCode != 0', then: [execute('nonzero')], else: [execute('zero')] },
    ]);
    sim.addOrder('a', 'w');
    assert.deepEqual(sim.runJobs((j) => exit(j.script === 'probe' ? 1 : 0)).map((j) => j.script), ['probe', 'nonzero']);
    sim.addOrder('b', 'w');
    assert.deepEqual(sim.runJobs().map((j) => j.script), ['probe', 'zero']);
  });

  it('fails the order when the predicate cannot be evaluated', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'If', predicate: '$nope == 1', then: [execute('then')] }]);
    sim.addOrder('o', 'w');
    const o = sim.order('o');
    assert.equal(o.state.TYPE, 'Failed');
    assert.deepEqual(o.position, [0]);
    const last = o.outcomes.at(-1);
    assert.match(last?.TYPE === 'Failed' ? last.message : '', /unknown variable \$nope/);
  });
});

describe('engine: Retry', () => {
  it('succeeds on the second try', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'Retry', maxTries: 3, instructions: [execute('flaky')] }, execute('after')]);
    sim.addOrder('o', 'w');
    let n = 0;
    const ran = sim.runJobs(() => exit(n++ === 0 ? 1 : 0));
    assert.deepEqual(ran.map((j) => j.script), ['flaky', 'flaky', 'after']);
    const o = sim.order('o');
    assert.equal(o.state.TYPE, 'Finished');
    assert.deepEqual(o.outcomes.map((x) => x.TYPE), ['Failed', 'Succeeded', 'Succeeded']);
    assert.equal(o.retries, undefined, 'leaving the block forgets its tries');
    assert.equal(sim.eventTypes('o').filter((t) => t === 'OrderRetrying').length, 1);
  });

  it('fails after maxTries', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'Retry', maxTries: 3, instructions: [execute('broken')] }, execute('after')]);
    sim.addOrder('o', 'w');
    const ran = sim.runJobs(failing(1));
    assert.equal(ran.length, 3);
    const o = sim.order('o');
    assert.equal(o.state.TYPE, 'Failed');
    assert.deepEqual(o.position, [0, 'retry', 0]);
    assert.deepEqual(o.retries, [{ position: [0], tries: 3 }]);
  });

  it('waits retryDelays between tries (the last delay repeats)', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'Retry', maxTries: 4, retryDelays: ['10s', '1m'], instructions: [execute('broken')] }]);
    sim.addOrder('o', 'w');
    const t0 = sim.now;
    sim.runJobs(failing(1));
    assert.deepEqual(sim.order('o').state, { TYPE: 'Waiting', reason: { TYPE: 'DelayedAfterError', until: t0 + 10_000 } });
    sim.advanceTime(9_999);
    assert.equal(sim.order('o').state.TYPE, 'Waiting');
    sim.advanceTime(1);
    assert.equal(sim.order('o').state.TYPE, 'Processing');
    sim.runJobs(failing(1));
    assert.equal(sim.wakeAt('o'), sim.now + 60_000);
    sim.advanceTime(60_000);
    sim.runJobs(failing(1));
    assert.equal(sim.wakeAt('o'), sim.now + 60_000);
    sim.advanceTime(60_000);
    sim.runJobs(failing(1));
    assert.equal(sim.order('o').state.TYPE, 'Failed');
    assert.equal(sim.order('o').outcomes.length, 4);
  });

  it('retries a Fail instruction and then lets an outer try catch it', () => {
    const sim = new Simulator();
    sim.deploy('w', [
      {
        TYPE: 'TryCatch',
        try: [{ TYPE: 'Retry', maxTries: 2, instructions: [{ TYPE: 'Fail', message: 'nope' }] }],
        catch: [execute('recover')],
      },
    ]);
    sim.addOrder('o', 'w');
    assert.deepEqual(sim.order('o').position, [0, 'catch', 0]);
    assert.equal(sim.eventTypes('o').filter((t) => t === 'OrderRetrying').length, 1);
    sim.runJobs();
    assert.equal(sim.order('o').state.TYPE, 'Finished');
  });
});

describe('engine: TryCatch, Fail, Finish', () => {
  it('catches a failing job and runs the catch block', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'TryCatch', try: [execute('bad'), execute('skipped')], catch: [execute('recover')] }, execute('after')]);
    sim.addOrder('o', 'w');
    const ran = sim.runJobs((j) => exit(j.script === 'bad' ? 1 : 0));
    assert.deepEqual(ran.map((j) => j.script), ['bad', 'recover', 'after']);
    assert.equal(sim.order('o').state.TYPE, 'Finished');
    assert.ok(sim.eventTypes('o').includes('OrderCaught'));
  });

  it('fails when the catch block fails too', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'TryCatch', try: [execute('bad')], catch: [execute('worse')] }, execute('after')]);
    sim.addOrder('o', 'w');
    assert.deepEqual(sim.runJobs(failing(1)).map((j) => j.script), ['bad', 'worse']);
    assert.equal(sim.order('o').state.TYPE, 'Failed');
    assert.deepEqual(sim.order('o').position, [0, 'catch', 0]);
  });

  it('Fail ends the order with its message and return code', () => {
    const sim = new Simulator();
    sim.deploy('w', [{ TYPE: 'Fail', message: 'stop here', returnCode: 7 }, execute('never')]);
    sim.addOrder('o', 'w');
    const o = sim.order('o');
    assert.equal(o.state.TYPE, 'Failed');
    assert.deepEqual(o.outcomes, [{ TYPE: 'Failed', returnCode: 7, message: 'stop here' }]);
    assert.deepEqual(sim.eventTypes('o').slice(-2), ['OrderOutcomeAdded', 'OrderFailed']);
  });

  it('Finish ends the order successfully before the rest', () => {
    const sim = new Simulator();
    sim.deploy('w', [execute('first'), { TYPE: 'Finish' }, execute('never')]);
    sim.addOrder('o', 'w');
    assert.deepEqual(sim.runJobs().map((j) => j.script), ['first']);
    assert.equal(sim.order('o').state.TYPE, 'Finished');
    assert.deepEqual(sim.order('o').position, [1]);
  });
});
