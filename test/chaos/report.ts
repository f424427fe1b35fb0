#!/usr/bin/env node
// `node dist/test/chaos/report.js SUMMARY.json OUT` writes OUT.md and OUT.json from a chaos
// run's summary.json (the run rewrites it after every trial, so this works on a run still going).
import { readFile, writeFile } from 'node:fs/promises';

interface Summary {
  readonly command: string;
  readonly seed: number;
  readonly trialsPlanned: number;
  readonly trialsRun: number;
  readonly trialsPassed: number;
  readonly failedTrials: readonly { trial: number; checks: readonly string[]; errorPhase?: string; error?: string }[];
  readonly setupErrors: number;
  readonly faultsPerTrial: string | number;
  readonly faults: Readonly<Record<string, number>>;
  readonly tornTailsInjected: number;
  readonly ordersAdded: number;
  readonly ordersAcknowledged: number;
  readonly cancels: number;
  readonly requests: number;
  readonly requestsWithoutAnswer: number;
  readonly failovers: number;
  readonly fencingCuts: number;
  readonly ticksFired: number;
  readonly checks: Readonly<Record<string, { passed: number; failed: number }>>;
  readonly trialSeconds: { median: number; max: number };
  readonly wallSeconds: number;
  readonly machine: { nproc: number; kernel: string; node: string };
  readonly finishedAt: string;
}

function render(s: Summary, note: string): string {
  const complete = s.trialsRun >= s.trialsPlanned;
  const rows = (pairs: readonly (readonly [string, string | number])[]): string => pairs.map(([k, v]) => `| ${k} | ${v} |`).join('\n');
  return `# Chaos suite — seed ${s.seed}

${complete ? `All ${s.trialsPlanned} planned trials ran.` : `**Partial: ${s.trialsRun} of ${s.trialsPlanned} planned trials had run** when this was written (${s.finishedAt}); the run went on.`}
${note === '' ? '' : `\n${note}\n`}
Command: \`${s.command}\`
Machine: ${s.machine.nproc} cores, Linux ${s.machine.kernel}, Node ${s.machine.node}; last update ${s.finishedAt}.

| | |
|---|---|
${rows([
  ['trials run / passed', `${s.trialsRun} / ${s.trialsPassed}`],
  ['trials that broke in setup (no fault applied yet)', s.setupErrors],
  ['faults per trial', s.faultsPerTrial],
  ['orders added / acknowledged', `${s.ordersAdded} / ${s.ordersAcknowledged}`],
  ['requests / without an answer', `${s.requests} / ${s.requestsWithoutAnswer}`],
  ['cancels', s.cancels],
  ['failovers (in the final journals)', s.failovers],
  ['fencing cuts kept (`*.cut-*`)', s.fencingCuts],
  ['torn tails injected', s.tornTailsInjected],
  ['schedule ticks fired', s.ticksFired],
  ['trial time, median / max', `${s.trialSeconds.median.toFixed(1)} s / ${s.trialSeconds.max.toFixed(1)} s`],
  ['wall time', `${(s.wallSeconds / 60).toFixed(1)} min`],
])}

## Faults applied

| fault | count |
|---|---|
${rows(Object.entries(s.faults).sort(([a], [b]) => a.localeCompare(b)))}

## Checks

| check | passed | failed |
|---|---|---|
${Object.entries(s.checks)
  .map(([k, v]) => `| ${k} | ${v.passed} | ${v.failed} |`)
  .join('\n')}

## Failed trials

${s.failedTrials.length === 0 ? 'None.' : s.failedTrials.map((f) => `- trial ${f.trial}: ${[...f.checks, ...(f.error === undefined ? [] : [`error in ${f.errorPhase ?? '?'}: ${f.error}`])].join('; ')}`).join('\n')}
`;
}

const [summaryFile, out, ...noteWords] = process.argv.slice(2);
if (summaryFile === undefined || out === undefined) {
  console.error('usage: node dist/test/chaos/report.js SUMMARY.json OUT [NOTE…]   (writes OUT.md and OUT.json)');
  process.exit(2);
}
const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
await writeFile(`${out}.json`, `${JSON.stringify(summary, null, 2)}\n`);
await writeFile(`${out}.md`, render(summary, noteWords.join(' ')));
console.log(`wrote ${out}.md and ${out}.json`);
