import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPair, type Pair, type PairNode, type PairOptions } from './pair.js';
import { jobStarts, markerLines, markerWorkflow, nodeState } from './pair-checks.js';
import { waitFor } from './wait.js';

export interface Scenario {
  readonly pair: Pair;
  /** File outside both nodes where every job marks its start and end. */
  readonly marker: string;
}

/** A coupled pair with two workflows: `fo/restartable` and `fo/once`, each a job of `seconds` that marks its runs. */
export async function coupledScenario(t: { after(fn: () => Promise<void>): void }, options: PairOptions & { seconds?: number } = {}): Promise<Scenario> {
  const markerDir = await mkdtemp(join(tmpdir(), 'tandem-marker-'));
  t.after(() => rm(markerDir, { recursive: true, force: true }));
  const marker = join(markerDir, 'jobs.log');
  const pair = await createPair(options);
  t.after(() => pair.cleanup());
  await pair.couple();
  const seconds = options.seconds ?? 2;
  for (const [path, restartable] of [['fo/restartable', true], ['fo/once', false]] as const) {
    const r = await pair.call(pair.primary, 'POST', '/command', markerWorkflow(path, marker, { seconds, restartable }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  return { pair, marker };
}

export async function waitForJobStart(marker: string, id: string): Promise<void> {
  await waitFor(`the job of ${id} to start`, async () => ((await markerLines(marker)).some((l) => l.startsWith(`start ${id} `)) ? true : undefined));
}

/** After every scenario: acknowledged orders all exist on `node`, no job of fo/once started twice. */
export async function assertNothingLost(s: Scenario, acknowledged: readonly string[], node: PairNode): Promise<void> {
  const r = await s.pair.call(node, 'GET', '/order');
  const ids = new Set((r.body['orders'] as { id: string }[]).map((o) => o.id));
  for (const id of acknowledged) assert.ok(ids.has(id), `acknowledged order ${id} is on ${node.name}`);
  for (const [id, starts] of await jobStarts(s.marker)) {
    if (id.startsWith('once-')) assert.equal(starts, 1, `the non-restartable job of ${id} started ${starts} times`);
  }
}

/** Waits until `node`'s own view reports a problem whose message matches `pattern` (it may alternate with others). */
export async function waitForProblem(pair: Pair, node: PairNode, pattern: RegExp, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  return waitFor(
    `${node.name} to report a problem matching ${String(pattern)}`,
    async () => {
      const problem = (await nodeState(pair, node))['problem'] as Record<string, unknown> | undefined;
      return problem !== undefined && pattern.test(String(problem['message'])) ? problem : undefined;
    },
    timeoutMs,
    50,
  );
}
