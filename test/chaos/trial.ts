import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { createPair, type Pair } from '../helpers/pair.js';
import { markerLines, markerWorkflow } from '../helpers/pair-checks.js';
import { waitFor } from '../helpers/wait.js';
import { scheduledOrderId } from '../../src/workflow/index.js';
import { checkTrial, finalJournal, type CheckResult, type TrialEvidence } from './checkers.js';
import { AGAIN_WORKFLOW, callNode, ONCE_PREFIX, ONCE_WORKFLOW, runClient } from './client.js';
import { History, type ClientEntry } from './history.js';
import { readJournalView } from './journals.js';
import { Nemesis } from './nemesis.js';
import { trialRng } from './prng.js';

export interface TrialOptions {
  readonly seed: number;
  readonly trial: number;
  /** How many faults the nemesis applies, one after another, while the clients run; by default 2–4, drawn from the seed. */
  readonly faults?: number;
  /** Where the history (and, for a failed trial, the processes' logs) go; a temp dir when absent. */
  readonly outDir?: string;
  readonly clients?: number;
}

export interface TrialOutcome {
  readonly seed: number;
  readonly trial: number;
  /** The `faults` option the trial ran with (needed to replay it). */
  readonly faultsOption: number | undefined;
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
  /** Set when the trial itself broke: the pair did not come back, a process did not start… */
  readonly error: string | undefined;
  /** Where it broke: in the setup (before any fault: not a finding about the product), during the faults, or in the recovery after healing. */
  readonly errorPhase: 'setup' | 'faults' | 'recovery' | undefined;
  readonly faults: Readonly<Record<string, number>>;
  readonly tornInjected: number;
  readonly ordersAdded: number;
  readonly ordersAcknowledged: number;
  readonly cancels: number;
  readonly requests: number;
  readonly noAnswer: number;
  readonly failovers: number;
  readonly fencingCuts: number;
  readonly finalEpoch: number;
  readonly ticks: number;
  readonly durationMs: number;
  readonly historyFile: string | undefined;
  readonly evidence: TrialEvidence | undefined;
}

export const SCHEDULE_ID = 'every-second';
const TICK_WORKFLOW = 'chaos/tick';
const JOB_SECONDS = 1;

async function deploy(pair: Pair, marker: string): Promise<void> {
  const commands = [
    markerWorkflow(AGAIN_WORKFLOW, marker, { seconds: JOB_SECONDS, restartable: true }),
    markerWorkflow(ONCE_WORKFLOW, marker, { seconds: JOB_SECONDS, restartable: false }),
    { TYPE: 'DeployWorkflow', workflow: { path: TICK_WORKFLOW, instructions: [{ TYPE: 'Finish' }] } },
    { TYPE: 'DeploySchedule', schedule: { id: SCHEDULE_ID, workflowPath: TICK_WORKFLOW, cron: '* * * * * *' } },
  ];
  for (const c of commands) {
    const r = await pair.call(pair.primary, 'POST', '/command', c);
    if (r.status !== 200) throw new Error(`${c.TYPE} failed: ${JSON.stringify(r.body)}`);
  }
}

/** As `pair.couple()`, but starts both nodes at once: a trial's setup is a good part of its time. */
async function couple(pair: Pair): Promise<void> {
  await Promise.all([pair.start(pair.primary), pair.start(pair.backup)]);
  await pair.startProxies();
  await pair.startWatch();
  await pair.appoint();
  await pair.waitForClusterState(pair.primary, 'Coupled');
  await pair.waitForClusterState(pair.backup, 'Coupled');
}

/**
 * A fresh coupled pair with the trial's workflows and schedule. A setup that fails (a
 * process that did not start in time on a loaded machine) is tried once more, noted in
 * the history: it is no finding about the product, which has not been disturbed yet.
 */
async function setUp(marker: string, history: History): Promise<Pair> {
  for (let attempt = 1; ; attempt++) {
    const pair = await createPair({ proxied: true, startTimeoutMs: 45_000 });
    try {
      await couple(pair);
      await deploy(pair, marker);
      return pair;
    } catch (err) {
      await pair.cleanup().catch(() => undefined);
      if (attempt === 2) throw new Error(`setup failed twice: ${err instanceof Error ? err.message : String(err)}`);
      history.nemesis('setup', 'note', `setup failed, trying again: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/**
 * One trial: a fresh proxied pair, clients adding and cancelling orders, a schedule
 * firing every second, a nemesis applying random faults for `chaosMs`; then everything
 * is healed, the pair must couple again (bounded), every process is killed and the
 * checkers look at the history, the marker file and both journals.
 */
export async function runTrial(o: TrialOptions): Promise<TrialOutcome> {
  const started = performance.now();
  const rng = trialRng(o.seed, o.trial);
  const work = await mkdtemp(join(tmpdir(), 'tandem-chaos-'));
  const trialDir = o.outDir === undefined ? undefined : join(o.outDir, `trial-${o.trial}`);
  if (trialDir !== undefined) await mkdir(trialDir, { recursive: true });
  const logsDir = trialDir === undefined ? undefined : join(trialDir, 'logs');
  if (logsDir !== undefined) await mkdir(logsDir, { recursive: true });
  const historyFile = trialDir === undefined ? undefined : join(trialDir, 'history.jsonl');
  const marker = join(work, 'jobs.log');
  const history = new History(historyFile);
  const previousDump = process.env['TANDEM_TEST_DUMP_LOGS'];
  if (logsDir !== undefined) process.env['TANDEM_TEST_DUMP_LOGS'] = logsDir;
  let pair: Pair | undefined;
  let error: string | undefined;
  let evidence: TrialEvidence | undefined;
  let nemesis: Nemesis | undefined;
  let phase: NonNullable<TrialOutcome['errorPhase']> = 'setup';
  let errorPhase: TrialOutcome['errorPhase'];
  try {
    pair = await setUp(marker, history);
    phase = 'faults';
    const stop = new AbortController();
    const p = pair;
    const clients = Array.from({ length: o.clients ?? 3 }, (_, index) =>
      runClient({ pair: p, history, rng: rng.fork(`client-${index}`), index, requestTimeoutMs: 5_000, stop: stop.signal }),
    );
    nemesis = new Nemesis(pair, history, rng.fork('nemesis'));
    try {
      // Let the clients get going first.
      await delay(300);
      await nemesis.run(o.faults ?? rng.fork('plan').int(2, 4));
    } finally {
      stop.abort();
      await Promise.all(clients);
    }
    await nemesis.healAll();
    let healedAt: number | undefined;
    try {
      await nemesis.waitForCoupled(60_000);
      healedAt = Date.now();
      await waitForTickAfter(pair, healedAt);
    } catch (err) {
      error = `the healed pair did not recover: ${err instanceof Error ? err.message : String(err)}`;
      errorPhase = 'recovery';
    }
    const markerSeen = await markerLines(marker);
    await pair.kill(pair.watch, 'SIGKILL');
    await pair.kill(pair.primary, 'SIGKILL');
    await pair.kill(pair.backup, 'SIGKILL');
    evidence = {
      history: history.entries,
      marker: markerSeen,
      journals: [await readJournalView('Primary', pair.primary.dataDir), await readJournalView('Backup', pair.backup.dataDir)],
      scheduleId: SCHEDULE_ID,
      tickMs: 1000,
      oncePrefix: ONCE_PREFIX,
      tornInjected: nemesis.tornInjected,
      healedAt,
    };
  } catch (err) {
    error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    errorPhase = phase;
  } finally {
    await pair?.cleanup().catch(() => undefined);
    await history.flush();
    await rm(work, { recursive: true, force: true });
    if (previousDump === undefined) delete process.env['TANDEM_TEST_DUMP_LOGS'];
    else process.env['TANDEM_TEST_DUMP_LOGS'] = previousDump;
  }
  const checks = evidence === undefined ? [] : checkTrial(evidence);
  const ok = error === undefined && checks.every((c) => c.ok);
  // The logs are kept only where there is something to look into.
  if (ok && logsDir !== undefined) await rm(logsDir, { recursive: true, force: true });
  return summarise(o, ok, checks, error, errorPhase, nemesis, history, evidence, performance.now() - started, historyFile);
}

/** Waits until the active node has added the order of a tick at or after `wallMs`: the schedule works again. */
async function waitForTickAfter(pair: Pair, wallMs: number): Promise<void> {
  const wanted = Math.ceil(wallMs / 1000) * 1000;
  await waitFor(
    `a tick at ${new Date(wanted).toISOString()} or later`,
    async () => {
      for (const node of [pair.primary, pair.backup]) {
        const r = await callNode(pair, node, 'GET', `/order/${encodeURIComponent(scheduledOrderId(SCHEDULE_ID, wanted))}`, undefined, 1_000);
        if (r.status === 200) return true;
      }
      return undefined;
    },
    10_000,
    100,
  );
}

function summarise(
  o: TrialOptions,
  ok: boolean,
  checks: readonly CheckResult[],
  error: string | undefined,
  errorPhase: TrialOutcome['errorPhase'],
  nemesis: Nemesis | undefined,
  history: History,
  evidence: TrialEvidence | undefined,
  durationMs: number,
  historyFile: string | undefined,
): TrialOutcome {
  const requests = history.entries.filter((h): h is ClientEntry => h.type === 'client');
  const adds = requests.filter((h) => h.op === 'AddOrder');
  const final = evidence === undefined ? undefined : finalJournal(evidence);
  const count = (type: string): number => final?.events.filter((x) => x.event.TYPE === type).length ?? 0;
  return {
    seed: o.seed,
    trial: o.trial,
    faultsOption: o.faults,
    ok,
    checks,
    error,
    errorPhase,
    faults: Object.fromEntries(nemesis?.applied ?? []),
    tornInjected: nemesis === undefined ? 0 : nemesis.tornInjected.Primary + nemesis.tornInjected.Backup,
    ordersAdded: new Set(adds.map((h) => h.orderId)).size,
    ordersAcknowledged: new Set(adds.filter((h) => h.status === 200).map((h) => h.orderId)).size,
    cancels: requests.filter((h) => h.op === 'CancelOrders').length,
    requests: requests.length,
    noAnswer: requests.filter((h) => h.error !== undefined).length,
    failovers: count('ClusterFailedOver'),
    fencingCuts: evidence === undefined ? 0 : evidence.journals.reduce((n, v) => n + v.cutFiles.length, 0),
    finalEpoch: final?.events[final.events.length - 1]?.epoch ?? 0,
    ticks: count('ScheduleFired'),
    durationMs: Math.round(durationMs),
    historyFile,
    evidence,
  };
}
