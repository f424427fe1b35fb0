import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InMemoryNetwork } from '../../../src/cluster/transport/index.js';
import { asEpoch, asEventId } from '../../../src/common/index.js';
import { ScriptedEndpoint } from './scripted-endpoint.js';
import { rejectsWith, transportContract, within, type TransportFixture } from './transport-contract.js';

const uri = 'https://backup.test:4443';

transportContract('in-memory', async (t): Promise<TransportFixture> => {
  const network = new InMemoryNetwork();
  const endpoint = new ScriptedEndpoint();
  network.register(uri, endpoint);
  const transport = network.transport();
  t.after(() => transport.close());
  return {
    transport,
    uri,
    endpoint,
    stopPeer: async () => network.unregister(uri),
    cut: () => network.cut(uri),
  };
});

test('in-memory: an unregistered URI is unreachable; once registered it answers', async (t) => {
  const network = new InMemoryNetwork();
  const transport = network.transport();
  t.after(() => transport.close());
  const peer = transport.peer(uri);
  await rejectsWith(peer.command({ TYPE: 'ClusterPassiveDown' }), 'ClusterPeerUnreachable', 'a command to nobody');
  network.register(uri, new ScriptedEndpoint());
  assert.deepEqual(await peer.command({ TYPE: 'ClusterPassiveDown' }), { TYPE: 'Accepted' });
});

test('in-memory: a cut reaches only the calls to that URI', async (t) => {
  const network = new InMemoryNetwork();
  const primary = new ScriptedEndpoint();
  const backup = new ScriptedEndpoint();
  network.register('https://primary.test', primary);
  network.register(uri, backup);
  const transport = network.transport();
  t.after(() => transport.close());
  const epoch = asEpoch(1);
  const toPrimary = transport.peer('https://primary.test').acks({ epoch }, new AbortController().signal)[Symbol.asyncIterator]();
  const toBackup = transport.peer(uri).acks({ epoch }, new AbortController().signal)[Symbol.asyncIterator]();
  const primaryNext = toPrimary.next();
  const backupNext = toBackup.next();
  await primary.until('the primary serving', () => primary.acks.waiting);
  await backup.until('the backup serving', () => backup.acks.waiting);
  assert.equal(network.openCalls(uri), 1);
  network.cut(uri);
  await rejectsWith(backupNext, 'ClusterPeerUnreachable', 'the cut stream');
  assert.equal(network.openCalls(uri), 0);
  primary.acks.push({ TYPE: 'Ack', eventId: asEventId(5) });
  assert.deepEqual((await within(primaryNext, 'the primary ack')).value, { TYPE: 'Ack', eventId: asEventId(5) });
});

test('in-memory: a command answer is a copy the endpoint cannot change later', async (t) => {
  const network = new InMemoryNetwork();
  const endpoint = new ScriptedEndpoint();
  const answer = { TYPE: 'Accepted', list: [1] };
  endpoint.onCommand = async () => answer;
  network.register(uri, endpoint);
  const transport = network.transport();
  t.after(() => transport.close());
  const received = await transport.peer(uri).command({ TYPE: 'X' });
  answer.list.push(2);
  assert.deepEqual(received, { TYPE: 'Accepted', list: [1] });
});
