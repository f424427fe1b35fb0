#!/usr/bin/env node
// `npm run chaos -- --trials N --seed S [--minutes M] [--trial K] [--faults F] [--out DIR]`
// Runs randomised fault trials against a real pair and checks invariants 1–5 after each.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { relevantHistory } from './checkers.js';
import { runTrial, type TrialOutcome } from './trial.js';

interface RunOptions {
  readonly seed: number;
  readonly trials: readonly number[];
  readonly minutes: number | undefined;
  readonly faults: number | undefined;
  readonly outDir: string;
}

function usage(problem: string): never {
  console.error(`chaos: ${problem}`);
  console.error('usage: npm run chaos -- --trials N --seed S [--minutes M] [--trial K] [--faults F] [--out DIR]');
  process.exit(2);
}

function integer(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) usage(`--${name} must be an integer ≥ ${min}, not ${JSON.stringify(text)}`);
  return n;
}

function parse(argv: readonly string[]): RunOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        trials: { type: 'string' },
        seed: { type: 'string' },
        minutes: { type: 'string' },
        trial: { type: 'string' },
        faults: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const seed = integer('seed', values.seed, 0) ?? Date.now() % 1_000_000;
  const only = integer('trial', values.trial, 1);
  const count = integer('trials', values.trials, 1) ?? 1;
  const minutes = integer('minutes', values.minutes, 1);
  const faults = integer('faults', values.faults, 1);
  const trials = only !== undefined ? [only] : Array.from({ length: count }, (_, k) => k + 1);
  return { seed, trials, minutes, faults, outDir: values.out ?? join('local', 'chaos', `seed-${seed}`) };
}

function line(t: TrialOutcome): string {
  const faults = Object.entries(t.faults)
    .map(([k, n]) => `${k}×${n}`)
    .join(' ');
  const failed = t.checks.filter((c) => !c.ok).map((c) => c.check);
  const verdict = t.ok ? 'ok' : `FAILED ${[...failed, ...(t.error === undefined ? [] : [`trial-error (${t.errorPhase ?? '?'})`])].join(', ')}`;
  return `trial ${t.trial}: ${verdict} · ${(t.durationMs / 1000).toFixed(1)} s · orders ${t.ordersAcknowledged}/${t.ordersAdded} acknowledged · failovers ${t.failovers} · epoch ${t.finalEpoch} · ${faults}`;
}

function explain(t: TrialOutcome): void {
  console.log(`  replay: npm run chaos -- --seed ${t.seed} --trial ${t.trial}${t.faultsOption === undefined ? '' : ` --faults ${t.faultsOption}`}`);
  if (t.historyFile !== undefined) console.log(`  history: ${t.historyFile}`);
  if (t.error !== undefined) console.log(`  trial error: ${t.error}`);
  for (const c of t.checks.filter((x) => !x.ok)) {
    console.log(`  check ${c.check} failed (seed ${t.seed}, trial ${t.trial}):`);
    for (const p of c.problems.slice(0, 20)) console.log(`    - ${p}`);
    if (t.evidence !== undefined) for (const h of relevantHistory(t.evidence, c).slice(0, 60)) console.log(`    ${JSON.stringify(h)}`);
  }
}

/** Totals over the trials, as recorded under bench/results. */
function summary(o: RunOptions, outcomes: readonly TrialOutcome[], wallMs: number): Record<string, unknown> {
  const faults: Record<string, number> = {};
  for (const t of outcomes) for (const [k, n] of Object.entries(t.faults)) faults[k] = (faults[k] ?? 0) + n;
  const checks: Record<string, { passed: number; failed: number }> = {};
  for (const t of outcomes) {
    for (const c of t.checks) {
      const slot = (checks[c.check] ??= { passed: 0, failed: 0 });
      if (c.ok) slot.passed += 1;
      else slot.failed += 1;
    }
  }
  const sum = (f: (t: TrialOutcome) => number): number => outcomes.reduce((n, t) => n + f(t), 0);
  const durations = outcomes.map((t) => t.durationMs).sort((a, b) => a - b);
  return {
    command: `npm run chaos -- ${process.argv.slice(2).join(' ')}`,
    seed: o.seed,
    trialsPlanned: o.trials.length,
    trialsRun: outcomes.length,
    trialsPassed: outcomes.filter((t) => t.ok).length,
    failedTrials: outcomes.filter((t) => !t.ok).map((t) => ({ trial: t.trial, checks: t.checks.filter((c) => !c.ok).map((c) => c.check), errorPhase: t.errorPhase, error: t.error?.split('\n')[0] })),
    trialErrors: outcomes.filter((t) => t.error !== undefined).length,
    // A setup that failed (twice) is the machine, not the product: no fault had been applied yet.
    setupErrors: outcomes.filter((t) => t.errorPhase === 'setup').length,
    faultsPerTrial: o.faults ?? '2–4 (from the seed)',
    faults,
    tornTailsInjected: sum((t) => t.tornInjected),
    ordersAdded: sum((t) => t.ordersAdded),
    ordersAcknowledged: sum((t) => t.ordersAcknowledged),
    cancels: sum((t) => t.cancels),
    requests: sum((t) => t.requests),
    requestsWithoutAnswer: sum((t) => t.noAnswer),
    failovers: sum((t) => t.failovers),
    fencingCuts: sum((t) => t.fencingCuts),
    ticksFired: sum((t) => t.ticks),
    checks,
    trialSeconds: { median: (durations[Math.floor(durations.length / 2)] ?? 0) / 1000, max: (durations[durations.length - 1] ?? 0) / 1000 },
    wallSeconds: Math.round(wallMs / 1000),
    machine: { nproc: cpus().length, kernel: release(), node: process.version },
    finishedAt: new Date().toISOString(),
  };
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  await mkdir(o.outDir, { recursive: true });
  console.log(`chaos: seed ${o.seed}, ${o.trials.length} trial(s), ${o.faults ?? '2–4'} faults each${o.minutes === undefined ? '' : `, at most ${o.minutes} min`}; output under ${o.outDir}`);
  const started = performance.now();
  const outcomes: TrialOutcome[] = [];
  for (const trial of o.trials) {
    if (o.minutes !== undefined && performance.now() - started > o.minutes * 60_000) {
      console.log(`chaos: stopping after ${outcomes.length} trial(s): the ${o.minutes} min are up`);
      break;
    }
    const t = await runTrial({ seed: o.seed, trial, outDir: o.outDir, ...(o.faults === undefined ? {} : { faults: o.faults }) });
    outcomes.push(t);
    console.log(line(t));
    if (!t.ok) explain(t);
    // Rewritten after every trial, so a run that is stopped still leaves its figures.
    await writeFile(join(o.outDir, 'summary.json'), `${JSON.stringify(summary(o, outcomes, performance.now() - started), null, 2)}\n`);
  }
  const s = summary(o, outcomes, performance.now() - started);
  console.log(`chaos: ${String(s['trialsPassed'])}/${outcomes.length} trials passed in ${String(s['wallSeconds'])} s (seed ${o.seed}); summary in ${join(o.outDir, 'summary.json')}`);
  process.exitCode = outcomes.every((t) => t.ok) ? 0 : 1;
}

await main();
