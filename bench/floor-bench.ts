/**
 * The machine's floor for a replicated commit: what the two fdatasyncs and the two
 * hops between processes cost here with nothing of Tandem's around them, so the
 * replication benchmark's latency can be read against what the disk and the
 * loopback allow.
 *
 *   node dist/bench/floor-bench.js [--frames N] [--no-save]
 *
 * - durable append: a 300-byte write at the end of a file, then fdatasync (what each
 *   node does per commit), and the same write to a file opened with O_DSYNC;
 * - one-way hop: a 300-byte frame from one process to another over loopback, stamped
 *   with the monotonic clock both share, sent every 5 ms as a commit would be: plain
 *   TCP, TLS, and an HTTPS response stream read with undici (Tandem's transport);
 * - the floor: two appends plus two HTTPS hops (active fsync → frame → passive fsync → ack).
 *
 * Writes bench/results/floor-<date>.{md,json}.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { createTestPki } from '../test/helpers/certificates.js';
import { machineInfo, progress, quantile, saveResults, today } from './bench-support.js';

const FRAME_BYTES = 300;
const INTERVAL_MS = 5;

type Hop = 'tcp' | 'tls' | 'https';

interface Row {
  readonly what: string;
  readonly samples: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
}

function row(what: string, micros: number[]): Row {
  const sorted = micros.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(quantile(sorted, q));
  return { what, samples: sorted.length, p50Us: at(0.5), p90Us: at(0.9), p99Us: at(0.99) };
}

function nowMicros(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/** `count` appends of FRAME_BYTES at the end of a fresh file in `dir`, each made durable before the next. */
async function appends(dir: string, count: number, mode: 'fdatasync' | 'O_DSYNC'): Promise<number[]> {
  const path = join(dir, `append-${mode}`);
  const flags = mode === 'O_DSYNC' ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC : 'w';
  const handle = await open(path, flags);
  const frame = Buffer.alloc(FRAME_BYTES, 7);
  const micros: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = nowMicros();
      await handle.write(frame, 0, FRAME_BYTES, i * FRAME_BYTES);
      if (mode === 'fdatasync') await handle.datasync();
      micros.push(Number(nowMicros() - t0));
    }
  } finally {
    await handle.close();
    await rm(path, { force: true });
  }
  return micros;
}

// ---- the sending side, run in a child process ----

interface ServeMessage {
  readonly hop: Hop;
  readonly frames: number;
  readonly key: string;
  readonly cert: string;
}

async function* stampedFrames(count: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) {
    await delay(INTERVAL_MS);
    const frame = Buffer.alloc(FRAME_BYTES);
    frame.writeBigUInt64BE(process.hrtime.bigint(), 0);
    yield frame;
  }
}

async function serve(m: ServeMessage): Promise<void> {
  const send = async (write: (b: Buffer) => void, end: () => void): Promise<void> => {
    for await (const frame of stampedFrames(m.frames)) write(frame);
    end();
  };
  let server: net.Server;
  if (m.hop === 'tcp') {
    server = net.createServer({ noDelay: true }, (s) => void send((b) => s.write(b), () => s.end()));
  } else if (m.hop === 'tls') {
    server = tls.createServer({ key: m.key, cert: m.cert }, (s) => {
      s.setNoDelay(true);
      void send((b) => s.write(b), () => s.end());
    });
  } else {
    server = https.createServer({ key: m.key, cert: m.cert, noDelay: true }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      void send((b) => res.write(b), () => res.end());
    });
  }
  server.listen(0, '127.0.0.1', () => {
    const address = server.address() as net.AddressInfo;
    process.send?.({ port: address.port });
  });
  process.once('disconnect', () => server.close());
}

// ---- the receiving side ----

/** One-way latency of each frame the child sends over `hop`, in µs. */
async function hop(which: Hop, frames: number, pki: { key: string; cert: string; ca: string }): Promise<number[]> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    child.send({ hop: which, frames, key: pki.key, cert: pki.cert } satisfies ServeMessage);
    const [{ port }] = (await once(child, 'message')) as [{ port: number }];
    const micros: number[] = [];
    let pending: Buffer = Buffer.alloc(0);
    const take = (chunk: Buffer): void => {
      const arrived = process.hrtime.bigint();
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= FRAME_BYTES) {
        micros.push(Number((arrived - pending.readBigUInt64BE(0)) / 1000n));
        pending = pending.subarray(FRAME_BYTES);
      }
    };
    if (which === 'https') {
      const agent = new Agent({ connect: { ca: pki.ca } });
      try {
        const response = await request(`https://localhost:${port}/`, { dispatcher: agent });
        for await (const chunk of response.body) take(chunk as Buffer);
      } finally {
        await agent.close();
      }
    } else {
      const socket = which === 'tcp' ? net.connect({ port, host: '127.0.0.1', noDelay: true }) : tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca });
      for await (const chunk of socket) take(chunk as Buffer);
    }
    return micros;
  } finally {
    child.disconnect();
    if (child.exitCode === null) await once(child, 'exit');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { frames: { type: 'string' }, 'no-save': { type: 'boolean', default: false } } });
  const frames = Number(values.frames ?? 1000);
  const dir = await mkdtemp(join(os.tmpdir(), 'tandem-floor-'));
  const pki = await createTestPki({ nodes: ['Primary'] });
  try {
    const node = pki.node('Primary');
    const material = { key: node.privateKey, cert: node.certificate, ca: pki.ca.certificate };
    const rows: Row[] = [];
    progress('durable appends');
    rows.push(row('append 300 B + fdatasync', await appends(dir, frames, 'fdatasync')));
    rows.push(row('append 300 B to an O_DSYNC file', await appends(dir, frames, 'O_DSYNC')));
    for (const which of ['tcp', 'tls', 'https'] as const) {
      progress(`one-way hop over ${which}`);
      rows.push(row(`one-way hop, ${which === 'https' ? 'HTTPS stream read with undici' : which.toUpperCase()}`, await hop(which, frames, material)));
    }
    const append = rows[0]!.p50Us;
    const httpsHop = rows[4]!.p50Us;
    const floorMs = (2 * append + 2 * httpsHop) / 1000;
    const machine = await machineInfo(dir);
    const command = `node dist/bench/floor-bench.js${values.frames === undefined ? '' : ` --frames ${frames}`}`;
    const lines = [
      `# Floor of a replicated commit on this machine, ${today()}`,
      '',
      `Machine: ${machine.cpuModel} × ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverage.join(' ')}, ${machine.filesystem}. Command: \`${command}\`.`,
      `Frames of ${FRAME_BYTES} B every ${INTERVAL_MS} ms (a commit at a time, as one writer makes them); times in µs.`,
      '',
      '| what | samples | p50 µs | p90 µs | p99 µs |',
      '|---|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.what} | ${r.samples} | ${r.p50Us} | ${r.p90Us} | ${r.p99Us} |`),
      '',
      `Floor of one replicated commit (2 × append + fdatasync p50 + 2 × HTTPS hop p50): **${floorMs.toFixed(2)} ms**, before any of Tandem's own work.`,
      '',
    ];
    const md = lines.join('\n');
    process.stdout.write(md);
    if (!values['no-save']) progress(`wrote ${await saveResults(`floor-${today()}`, md, { machine, command, frames, rows, floorMs })}`);
  } finally {
    await pki.remove();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--serve')) {
  process.once('message', (m: ServeMessage) => void serve(m));
} else {
  await main();
}
