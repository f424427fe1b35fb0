import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/** Which way bytes flow through a proxy: from the client to the target (requests) or back (answers). */
export type ProxyDirection = 'toTarget' | 'fromTarget';

/** A TCP proxy on 127.0.0.1 in front of a server, so a test can count and cut the connections to it. */
export interface TcpProxy {
  /** The proxy's port. */
  readonly port: number;
  /** Connections accepted so far. */
  readonly connectionCount: number;
  /** Connections open now. */
  readonly openCount: number;
  /** Breaks every open connection mid-stream, as a failing network would; new ones are still accepted. */
  cut(): void;
  /** Breaks every open connection and refuses new ones until `heal()`: the target is unreachable through this proxy. */
  block(): void;
  /**
   * Holds the bytes flowing in one direction, on open and new connections alike, while the
   * other direction still flows: a one-way partition. Connections stay open, as TCP's would
   * while it retransmits; the held bytes go on (in order) at `heal()`.
   */
  stall(direction: ProxyDirection): void;
  /** Lets connections through again after `block()`, and releases what `stall()` held. */
  heal(): void;
  /** Stops accepting and breaks every open connection. */
  close(): Promise<void>;
}

/** Starts a proxy to `127.0.0.1:targetPort`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<readonly [Socket, Socket]>();
  let accepted = 0;
  let blocked = false;
  const stalled = { toTarget: false, fromTarget: false };
  // Bytes held by a stall, with the callbacks that let each gate take more (back-pressure stops the sender).
  const held: { gate: Transform; chunk: Buffer; done: TransformCallback }[] = [];
  const gate = (direction: ProxyDirection): Transform => {
    const t: Transform = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        if (stalled[direction]) held.push({ gate: t, chunk, done });
        else done(null, chunk);
      },
    });
    return t;
  };
  const release = (): void => {
    for (const { gate: g, chunk, done } of held.splice(0)) if (!g.destroyed) done(null, chunk);
  };
  const server = createServer((client) => {
    accepted += 1;
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = [client, upstream] as const;
    pairs.add(pair);
    // An error on either side breaks both; an orderly end is passed on by pipe, so the last bytes arrive.
    const fail = (): void => {
      client.destroy();
      upstream.destroy();
    };
    const forget = (): void => {
      if (client.destroyed && upstream.destroyed) pairs.delete(pair);
    };
    client.on('error', fail).on('close', forget);
    upstream.on('error', fail).on('close', forget);
    const up = gate('toTarget');
    const down = gate('fromTarget');
    client.pipe(up).pipe(upstream);
    upstream.pipe(down).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const cut = (): void => {
    // destroy(), not resetAndDestroy(): on Node 20 the latter, on a socket whose peer is just
    // closing, was seen to spin the event loop at 100% CPU.
    for (const [client, upstream] of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    get connectionCount() {
      return accepted;
    },
    get openCount() {
      return pairs.size;
    },
    cut,
    block: () => {
      blocked = true;
      cut();
    },
    stall: (direction) => {
      stalled[direction] = true;
    },
    heal: () => {
      blocked = false;
      stalled.toTarget = false;
      stalled.fromTarget = false;
      release();
    },
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
