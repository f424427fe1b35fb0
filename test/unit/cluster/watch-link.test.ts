import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterTiming, WatchLink, type WatchView } from '../../../src/cluster/index.js';
import { asEpoch, asNodeId, hasCode, ManualClock, silentLogger, type Epoch } from '../../../src/common/index.js';

void test('only a watch that registered at the node can tell it a higher epoch; an unknown one is refused and changes nothing', async () => {
  const higher: Epoch[] = [];
  const link = new WatchLink({
    view: () => ({ nodeId: asNodeId('Primary'), epoch: asEpoch(1) }) as unknown as WatchView,
    timing: clusterTiming(500, 2_500),
    clock: new ManualClock(),
    logger: silentLogger(),
    onHigherEpoch: (epoch) => void higher.push(epoch),
  });
  assert.throws(() => link.epochNotice('nobody', asEpoch(5), 'Backup'), (e: unknown) => hasCode(e, 'InvalidRequest'));
  assert.throws(() => link.answer({ watchId: 'nobody', requestId: 'r-1', verdict: 'Refused', epoch: asEpoch(5), activeId: 'Backup' }), (e: unknown) => hasCode(e, 'InvalidRequest'));
  assert.deepEqual(higher, []);

  // The watch registers by opening its stream; from then on its word counts.
  const stop = new AbortController();
  const stream = link.frames({ watchId: 'watch-1' }, stop.signal);
  await stream.next();
  link.epochNotice('watch-1', asEpoch(5), 'Backup');
  assert.deepEqual(higher, [5]);
  stop.abort();
  await stream.return(undefined);
});
