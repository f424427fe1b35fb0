import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeNodeDirs } from '../helpers/tandem-process.js';

const writerPath = fileURLToPath(new URL('../helpers/crash-writer.js', import.meta.url));
const rounds = 22;

interface Round {
  recovered: string[];
  tried: Set<string>;
  acked: Set<string>;
}

/** Runs the writer, SIGKILLs it after it has acknowledged `killAfterAcks` orders, and returns what it said and tried. */
async function runOnce(dirs: { base: string; configDir: string; dataDir: string }, runId: number, killAfterAcks: number): Promise<Round> {
  const triedFile = join(dirs.base, `tried-${runId}`);
  const child = spawn(process.execPath, [writerPath, dirs.configDir, dirs.dataDir, String(runId), triedFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  // 'close', not 'exit': only then has every line the writer got into the pipe before the SIGKILL been read.
  const exited = once(child, 'close');
  const round: Round = { recovered: [], tried: new Set(), acked: new Set() };
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`round ${runId}: no progress in 20 s\n${stderr}`)), 20_000);
    child.stdout.on('data', (b: Buffer) => {
      buffer += b.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('{')) round.recovered = (JSON.parse(line) as { recovered: string[] }).recovered;
        else if (line.startsWith('ack ')) round.acked.add(line.slice(4));
      }
      if (round.acked.size >= killAfterAcks && child.exitCode === null) {
        child.kill('SIGKILL');
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      if (child.signalCode !== 'SIGKILL') reject(new Error(`round ${runId}: writer exited by itself\n${stderr}`));
    });
  });
  await exited;
  // Every id the writer sent an AddOrder for, also those it had no time to report on stdout.
  const tried = await readFile(triedFile, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
  for (const id of tried.split('\n')) if (id !== '') round.tried.add(id);
  return round;
}

test(`SIGKILL at random moments ${rounds} times: every acknowledged order survives, none is invented`, async (t) => {
  const dirs = await makeNodeDirs('js7.controller.id = "crash"\njs7.journal.snapshot.when-bigger-than = 256k\n');
  t.after(() => dirs.cleanup());
  const acked = new Set<string>();
  const tried = new Set<string>();
  // A fixed pseudo-random sequence, so a failure can be replayed.
  let seed = 12345;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let run = 0; run <= rounds; run++) {
    const killAfter = run === rounds ? 1 : 1 + Math.floor(random() * 400);
    const round = await runOnce(dirs, run, killAfter);
    const recovered = new Set(round.recovered);
    const missing = [...acked].filter((id) => !recovered.has(id));
    assert.deepEqual(missing, [], `round ${run}: acknowledged orders missing after SIGKILL`);
    const invented = [...recovered].filter((id) => !tried.has(id));
    assert.deepEqual(invented, [], `round ${run}: orders present that no client added`);
    for (const id of round.acked) acked.add(id);
    for (const id of round.tried) tried.add(id);
  }
  assert.ok(acked.size > rounds, `the writer made progress (${acked.size} acknowledged orders)`);
});
