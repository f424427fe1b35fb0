import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asksForAcks, parseAckQuery, parseJournalQuery } from '../../../src/cluster/transport/index.js';
import { asEpoch, asEventId, TandemError } from '../../../src/common/index.js';

function invalidAt(fn: () => unknown, path: string): void {
  assert.throws(fn, (err) => err instanceof TandemError && err.code === 'InvalidRequest' && err.arguments['path'] === path);
}

test('a journal query becomes the request the endpoint gets', () => {
  assert.deepEqual(parseJournalQuery({ file: '1767225600123000', position: '4096', epoch: '3', journalId: 'j-1' }), {
    fileEventId: asEventId(1_767_225_600_123_000),
    position: 4096,
    epoch: asEpoch(3),
    journalId: 'j-1',
  });
  assert.deepEqual(parseJournalQuery({ epoch: '0' }), { epoch: asEpoch(0) });
});

test('a bad journal query is InvalidRequest naming the parameter', () => {
  invalidAt(() => parseJournalQuery({}), '$.epoch');
  invalidAt(() => parseJournalQuery({ epoch: '-1' }), '$.epoch');
  invalidAt(() => parseJournalQuery({ epoch: '1', position: '1e3' }), '$.position');
  invalidAt(() => parseJournalQuery({ epoch: '1', file: '99999999999999999' }), '$.file');
  invalidAt(() => parseJournalQuery({ epoch: '1', journalId: '' }), '$.journalId');
});

test('the acknowledgement query needs onlyAcks=true and an epoch', () => {
  assert.deepEqual(parseAckQuery({ onlyAcks: 'true', epoch: '7' }), { epoch: asEpoch(7) });
  invalidAt(() => parseAckQuery({ onlyAcks: 'yes', epoch: '7' }), '$.onlyAcks');
  invalidAt(() => parseAckQuery({ onlyAcks: 'true' }), '$.epoch');
  assert.equal(asksForAcks({ onlyAcks: 'false' }), true);
  assert.equal(asksForAcks({ after: '0' }), false);
  assert.equal(asksForAcks(undefined), false);
});
