import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asEventId } from '../../../src/common/index.js';
import { EventBuffer } from '../../../src/controller/event-buffer.js';
import type { StampedView } from '../../../src/api/controller-port.js';

const stamped = (eventId: number): StampedView => ({ eventId: asEventId(eventId), event: { TYPE: 'OrderStarted', orderId: `o-${eventId}` } }) as unknown as StampedView;

void test('a buffer started at a later snapshot tells a reader from before it that the events are torn, and wakes a waiting one', async () => {
  const buffer = new EventBuffer(10, asEventId(0));
  const waiting = buffer.wait(asEventId(0), new AbortController().signal);
  buffer.startAt(asEventId(100));
  await waiting;
  assert.deepEqual(buffer.read(asEventId(0), 10), { TYPE: 'Torn', after: 0, oldestEventId: 100 });
  assert.deepEqual(buffer.read(asEventId(100), 10), { TYPE: 'Empty', lastEventId: 100 });
  buffer.push([stamped(101), stamped(102)]);
  assert.deepEqual(buffer.read(asEventId(100), 10), { TYPE: 'NonEmpty', stamped: [stamped(101), stamped(102)] });
  assert.equal(buffer.read(asEventId(50), 10).TYPE, 'Torn');
});

void test('startAt refuses a buffer that holds events, and never moves its start back', () => {
  const buffer = new EventBuffer(10, asEventId(100));
  buffer.startAt(asEventId(40));
  assert.equal(buffer.lastEventId, 100);
  buffer.push([stamped(101)]);
  assert.throws(() => buffer.startAt(asEventId(200)), /already holds events/);
});
