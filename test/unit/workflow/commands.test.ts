import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { hasCode, type ErrorCode } from '../../../src/common/index.js';
import { commandSchemas, parseCommand, parseCommandWith } from '../../../src/workflow/index.js';

const hello = { path: 'demo/hello', instructions: [{ TYPE: 'Execute', job: { script: 'echo hello $NAME', env: { NAME: '$name' }, timeout: '30s', restartable: true } }] };

function rejects(body: unknown, code: ErrorCode, path?: string): void {
  assert.throws(
    () => parseCommand(body),
    (err: unknown) => {
      assert.ok(hasCode(err, code), `expected ${code}, got ${String(err)}`);
      if (path !== undefined) {
        assert.equal(err.arguments['path'], path);
        assert.ok(err.message.includes(path), `message '${err.message}' names ${path}`);
        assert.equal(typeof err.arguments['problem'], 'string');
      }
      return true;
    },
  );
}

describe('parseCommand: accepted shapes', () => {
  const good: unknown[] = [
    { TYPE: 'DeployWorkflow', workflow: hello },
    { TYPE: 'AddOrder', order: { id: 'o-1', workflowPath: 'demo/hello', arguments: { name: 'world' }, scheduledFor: 1767225600000 } },
    { TYPE: 'AddOrder', order: { id: 'nightly#2026-01-01T00:00:00.000Z', workflowPath: 'demo/hello' } },
    { TYPE: 'CancelOrders', orderIds: ['o-1', 'p|a'] },
    { TYPE: 'SuspendOrders', orderIds: ['o-1'] },
    { TYPE: 'ResumeOrders', orderIds: ['o-1'] },
    { TYPE: 'DeploySchedule', schedule: { id: 'nightly', workflowPath: 'demo/hello', cron: '0 2 * * *', arguments: { name: 'n' } } },
    { TYPE: 'DeleteSchedule', scheduleId: 'nightly' },
    { TYPE: 'TakeSnapshot' },
    { TYPE: 'ShutDown' },
    { TYPE: 'ShutDown', clusterAction: 'Failover' },
  ];
  for (const body of good) {
    it(`accepts ${JSON.stringify(body).slice(0, 70)}`, () => assert.deepEqual(parseCommand(body), body));
  }

  it('turns -0 into 0 (the journal cannot keep -0)', () => {
    const c = parseCommand({ TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w', arguments: { x: -0 } } });
    assert.ok(c.TYPE === 'AddOrder' && Object.is(c.order.arguments?.['x'], 0));
  });
});

describe('parseCommand: every error kind names the path', () => {
  it('a body that is not an object', () => {
    for (const body of [null, 42, 'AddOrder', [{ TYPE: 'AddOrder' }]]) rejects(body, 'InvalidRequest', '$');
  });
  it('a missing or non-string TYPE', () => {
    rejects({}, 'InvalidRequest', '$.TYPE');
    rejects({ TYPE: 7 }, 'InvalidRequest', '$.TYPE');
  });
  it('an unknown TYPE', () => {
    rejects({ TYPE: 'LaunchRocket' }, 'UnknownCommand');
    rejects({ TYPE: 'toString' }, 'UnknownCommand');
    rejects({ TYPE: '__proto__' }, 'UnknownCommand');
  });
  it('a missing field', () => rejects({ TYPE: 'AddOrder' }, 'InvalidRequest', '$.order'));
  it('a field of the wrong type', () => rejects({ TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w', scheduledFor: 'soon' } }, 'InvalidRequest', '$.order.scheduledFor'));
  it('an unknown field', () => rejects({ TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w', priority: 1 } }, 'InvalidRequest', '$.order.priority'));
  it("an order id with the reserved '|'", () => rejects({ TYPE: 'AddOrder', order: { id: 'a|b', workflowPath: 'w' } }, 'InvalidRequest', '$.order.id'));
  it('an order id that is too long', () => rejects({ TYPE: 'AddOrder', order: { id: 'x'.repeat(201), workflowPath: 'w' } }, 'InvalidRequest', '$.order.id'));
  it('a bad argument name', () => rejects({ TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w', arguments: { 'no-dash': 1 } } }, 'InvalidRequest', '$.order.arguments["no-dash"]'));
  it('a nested argument value', () => rejects({ TYPE: 'AddOrder', order: { id: 'o', workflowPath: 'w', arguments: { a: { b: 1 } } } }, 'InvalidRequest', '$.order.arguments.a'));
  it('an element of an id list', () => rejects({ TYPE: 'CancelOrders', orderIds: ['ok', 'bad id'] }, 'InvalidRequest', '$.orderIds[1]'));
  it('an empty id list', () => rejects({ TYPE: 'CancelOrders', orderIds: [] }, 'InvalidRequest', '$.orderIds'));
  it('a bad clusterAction', () => rejects({ TYPE: 'ShutDown', clusterAction: 'Explode' }, 'InvalidRequest', '$.clusterAction'));
  it('a bad cron expression', () => rejects({ TYPE: 'DeploySchedule', schedule: { id: 's', workflowPath: 'w', cron: '61 * * * *' } }, 'InvalidSchedule', '$.schedule.cron'));
  it('a bad schedule id', () => rejects({ TYPE: 'DeploySchedule', schedule: { id: 'a#b', workflowPath: 'w', cron: '* * * * *' } }, 'InvalidRequest', '$.schedule.id'));
});

describe('parseCommand: workflows are validated deeply (InvalidWorkflow)', () => {
  const deploy = (instructions: unknown, path = 'w'): unknown => ({ TYPE: 'DeployWorkflow', workflow: { path, instructions } });
  const cases: [string, unknown, string][] = [
    ['a bad path', deploy([{ TYPE: 'Finish' }], 'bad path!'), '$.workflow.path'],
    ['an empty instruction list', deploy([]), '$.workflow.instructions'],
    ['an unknown instruction', deploy([{ TYPE: 'Teleport' }]), '$.workflow.instructions[0].TYPE'],
    ['an empty script', deploy([{ TYPE: 'Execute', job: { script: '' } }]), '$.workflow.instructions[0].job.script'],
    ['a timeout that is not a duration', deploy([{ TYPE: 'Execute', job: { script: 'x', timeout: 'soon' } }]), '$.workflow.instructions[0].job.timeout'],
    ['a zero timeout', deploy([{ TYPE: 'Execute', job: { script: 'x', timeout: '0s' } }]), '$.workflow.instructions[0].job.timeout'],
    ['an env value with a bad $ reference', deploy([{ TYPE: 'Execute', job: { script: 'x', env: { A: '$1x' } } }]), '$.workflow.instructions[0].job.env.A'],
    ['an unknown job field', deploy([{ TYPE: 'Execute', job: { script: 'x', timout: '1s' } }]), '$.workflow.instructions[0].job.timout'],
    ['an empty then block', deploy([{ TYPE: 'If', predicate: 'true', then: [] }]), '$.workflow.instructions[0].then'],
    ['a predicate that does not parse', deploy([{ TYPE: 'If', predicate: '$a ==', then: [{ TYPE: 'Finish' }] }]), '$.workflow.instructions[0].predicate'],
    ['a nested bad predicate', deploy([{ TYPE: 'TryCatch', try: [{ TYPE: 'Finish' }], catch: [{ TYPE: 'If', predicate: 'process.exit()', then: [{ TYPE: 'Finish' }] }] }]), '$.workflow.instructions[0].catch[0].predicate'],
    ['duplicate fork ids', deploy([{ TYPE: 'Fork', branches: [{ id: 'a', instructions: [{ TYPE: 'Finish' }] }, { id: 'a', instructions: [{ TYPE: 'Finish' }] }] }]), '$.workflow.instructions[0].branches[1].id'],
    ['a fork id with |', deploy([{ TYPE: 'Fork', branches: [{ id: 'a|b', instructions: [{ TYPE: 'Finish' }] }] }]), '$.workflow.instructions[0].branches[0].id'],
    ['maxTries 0', deploy([{ TYPE: 'Retry', maxTries: 0, instructions: [{ TYPE: 'Finish' }] }]), '$.workflow.instructions[0].maxTries'],
    ['a bad retry delay', deploy([{ TYPE: 'Retry', maxTries: 2, retryDelays: ['1x'], instructions: [{ TYPE: 'Finish' }] }]), '$.workflow.instructions[0].retryDelays[0]'],
    ['an empty return code list', deploy([{ TYPE: 'Execute', job: { script: 'x', returnCodeMeaning: { success: [] } } }]), '$.workflow.instructions[0].job.returnCodeMeaning'],
  ];
  for (const [what, body, path] of cases) {
    it(what, () => rejects(body, 'InvalidWorkflow', path));
  }
});

describe('parseCommandWith: the command set can be extended', () => {
  it('parses a command added by another module, and still the old ones', () => {
    const extended = { ...commandSchemas, ClusterSwitchOver: z.strictObject({ TYPE: z.literal('ClusterSwitchOver') }) };
    const c = parseCommandWith(extended, { TYPE: 'ClusterSwitchOver' });
    assert.equal(c.TYPE, 'ClusterSwitchOver');
    assert.equal(parseCommandWith(extended, { TYPE: 'TakeSnapshot' }).TYPE, 'TakeSnapshot');
    assert.throws(() => parseCommand({ TYPE: 'ClusterSwitchOver' }), (err: unknown) => hasCode(err, 'UnknownCommand'));
  });
});
