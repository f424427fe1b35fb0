import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCode } from '../../../src/common/index.js';
import { parseEvent, type Event } from '../../../src/state/index.js';

const samples: Event[] = [
  { TYPE: 'WorkflowDeployed', workflow: { path: 'demo/hello', versionId: 1, instructions: [{ TYPE: 'Execute', job: { script: 'echo hi', env: { A: '$a' }, timeout: '30s', restartable: true } }] } },
  { TYPE: 'ScheduleDeployed', schedule: { id: 's', workflowPath: 'w', cron: '* * * * *', arguments: { a: 1 } }, since: 5 },
  { TYPE: 'OrderAdded', orderId: 'o-1', workflowPath: 'demo/hello', workflowVersion: 1, arguments: { name: 'x', n: 2, b: true }, scheduledFor: 9 },
  { TYPE: 'OrderProcessed', orderId: 'o-1', outcome: { TYPE: 'Failed', returnCode: 2, message: 'm' } },
  { TYPE: 'OrderMoved', orderId: 'o-1', to: [0, 'fork+a', 2, 'then', 0] },
  { TYPE: 'OrderRetrying', orderId: 'o-1', to: [1, 'retry', 0], delayedUntil: 1000 },
  { TYPE: 'OrderStdWritten', orderId: 'o-1', stream: 'stderr', chunk: 'ünïcödé\n' },
];

describe('parseEvent', () => {
  for (const e of samples) {
    it(`accepts ${e.TYPE} unchanged`, () => assert.deepEqual(parseEvent(structuredClone(e)), e));
  }

  const bad: [string, unknown][] = [
    ['not an object', 'OrderAdded'],
    ['null', null],
    ['unknown TYPE', { TYPE: 'OrderTeleported', orderId: 'o' }],
    ['missing field', { TYPE: 'OrderProcessed', orderId: 'o' }],
    ['wrong outcome', { TYPE: 'OrderProcessed', orderId: 'o', outcome: { TYPE: 'Maybe' } }],
    ['malformed position', { TYPE: 'OrderMoved', orderId: 'o', to: [0, 'then'] }],
    ['unknown branch', { TYPE: 'OrderMoved', orderId: 'o', to: [0, 'sideways', 0] }],
    ['negative index', { TYPE: 'OrderMoved', orderId: 'o', to: [-1] }],
    ['bad stream', { TYPE: 'OrderStdWritten', orderId: 'o', stream: 'stdin', chunk: '' }],
    ['empty instruction list', { TYPE: 'WorkflowDeployed', workflow: { path: 'w', versionId: 1, instructions: [] } }],
  ];
  for (const [what, raw] of bad) {
    it(`refuses ${what} as JournalCorrupt`, () => {
      assert.throws(() => parseEvent(raw), (err: unknown) => hasCode(err, 'JournalCorrupt'));
    });
  }

  it('names the field that is wrong', () => {
    assert.throws(
      () => parseEvent({ TYPE: 'OrderProcessingStarted', orderId: 'o', attempt: 'one' }),
      (err: unknown) => hasCode(err, 'JournalCorrupt') && err.arguments['path'] === 'attempt' && err.arguments['eventType'] === 'OrderProcessingStarted',
    );
  });
});
