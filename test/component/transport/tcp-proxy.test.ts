import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';
import { waitFor } from '../../helpers/wait.js';

/** An echo server: every byte a client sends comes back. */
async function echoServer(t: { after(fn: () => Promise<void> | void): void }): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

test('a stalled direction holds its bytes on an open connection and lets them through, in order, at heal', async (t) => {
  const proxy = await startTcpProxy(await echoServer(t));
  t.after(() => proxy.close());
  for (const direction of ['toTarget', 'fromTarget'] as const) {
    const client = connect(proxy.port, '127.0.0.1');
    await once(client, 'connect');
    let received = '';
    client.on('data', (b: Buffer) => (received += b.toString('utf8')));
    client.write('one ');
    await waitFor('the first bytes to come back', () => (received === 'one ' ? true : undefined));
    proxy.stall(direction);
    client.write('two ');
    client.write('three');
    // Nothing is to be waited for here: the point is that nothing arrives while stalled.
    await delay(200);
    assert.equal(received, 'one ', `nothing comes back while ${direction} is stalled`);
    assert.equal(proxy.openCount, 1, 'the connection stays open');
    proxy.heal();
    await waitFor('the held bytes to arrive', () => (received === 'one two three' ? true : undefined));
    client.destroy();
  }
});
