import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relevantHistory } from '../chaos/checkers.js';
import { runTrial } from '../chaos/trial.js';

/*
 * A short fixed-seed run of the chaos suite (`npm run chaos`): a few trials of random
 * faults against a real proxied pair, each followed by every checker. The seed fixes the
 * faults and the clients' operations; replay a failure with
 * `npm run chaos -- --seed 20261207 --trial K --faults 2`.
 */
const SEED = 20261207;
const TRIALS = 3;

test(`chaos: ${TRIALS} trials of random faults (seed ${SEED}) keep every invariant`, async (t) => {
  const kinds = new Set<string>();
  for (let trial = 1; trial <= TRIALS; trial++) {
    await t.test(`trial ${trial}`, async () => {
      const outcome = await runTrial({ seed: SEED, trial, faults: 2 });
      assert.equal(outcome.error, undefined, `trial ${trial} (seed ${SEED}) broke: ${outcome.error}`);
      for (const c of outcome.checks) {
        const lines = outcome.evidence === undefined ? [] : relevantHistory(outcome.evidence, c).map((h) => JSON.stringify(h));
        assert.ok(c.ok, `seed ${SEED}, trial ${trial}: check ${c.check} failed:\n${c.problems.join('\n')}\n${lines.join('\n')}`);
      }
      assert.equal(outcome.checks.length, 7, 'every checker ran');
      assert.ok(Object.keys(outcome.faults).length >= 1, 'the nemesis applied faults');
      assert.ok(outcome.ordersAcknowledged >= 1, 'clients got orders acknowledged');
      for (const k of Object.keys(outcome.faults)) kinds.add(k);
    });
  }
  assert.ok(kinds.size >= 3, `several kinds of fault were applied: ${[...kinds].join(', ')}`);
});
