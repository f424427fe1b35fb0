import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCode, type ErrorCode } from '../../../src/common/index.js';
import type { Order } from '../../../src/state/index.js';
import { jobEnv, outcomeOf, parseDuration, validateWorkflow } from '../../../src/workflow/index.js';

const end = (returnCode: number | null, more: { signal?: string; timedOut?: boolean; killed?: boolean; error?: string } = {}) => ({
  returnCode,
  signal: more.signal ?? null,
  timedOut: more.timedOut ?? false,
  ...(more.killed === undefined ? {} : { killed: more.killed }),
  ...(more.error === undefined ? {} : { error: more.error }),
});

describe('outcomeOf', () => {
  it('0 succeeds and anything else fails by default', () => {
    assert.deepEqual(outcomeOf(end(0), {}), { TYPE: 'Succeeded', returnCode: 0 });
    assert.deepEqual(outcomeOf(end(2), {}), { TYPE: 'Failed', returnCode: 2, message: 'return code 2 means failure' });
  });

  it('uses a success list', () => {
    const job = { returnCodeMeaning: { success: [0, 3] } };
    assert.equal(outcomeOf(end(3), job).TYPE, 'Succeeded');
    assert.equal(outcomeOf(end(1), job).TYPE, 'Failed');
  });

  it('uses a failure list: everything else succeeds', () => {
    const job = { returnCodeMeaning: { failure: [1, 2] } };
    assert.equal(outcomeOf(end(0), job).TYPE, 'Succeeded');
    assert.equal(outcomeOf(end(9), job).TYPE, 'Succeeded');
    assert.equal(outcomeOf(end(2), job).TYPE, 'Failed');
  });

  it('a timeout fails with the configured duration in the message', () => {
    assert.deepEqual(outcomeOf(end(null, { signal: 'SIGTERM', timedOut: true }), { timeout: '30s' }), { TYPE: 'Failed', message: 'timed out after 30s' });
  });

  it('a signal or a spawn failure fails and says so', () => {
    assert.deepEqual(outcomeOf(end(null, { signal: 'SIGKILL' }), {}), { TYPE: 'Failed', message: 'killed by SIGKILL' });
    assert.deepEqual(outcomeOf(end(null, { signal: 'SIGTERM', killed: true }), {}), {
      TYPE: 'Failed',
      message: 'killed by SIGTERM (stopped by the controller)',
    });
    assert.deepEqual(outcomeOf(end(null, { error: 'spawn /bin/nosh ENOENT' }), {}), {
      TYPE: 'Failed',
      message: 'the job could not be started: spawn /bin/nosh ENOENT',
    });
  });
});

describe('jobEnv', () => {
  const order: Order = {
    id: 'o',
    workflowPath: 'w',
    workflowVersion: 1,
    arguments: { name: 'world', n: 2, yes: false },
    position: [0],
    state: { TYPE: 'Ready' },
    outcomes: [],
    attempt: 0,
  };

  it('resolves $arg, keeps literals and unescapes $$', () => {
    assert.deepEqual(jobEnv(order, { script: 'x', env: { A: '$name', B: '$n', C: '$yes', D: 'plain', E: '$$name', F: '' } }), {
      TYPE: 'Resolved',
      env: { A: 'world', B: '2', C: 'false', D: 'plain', E: '$name', F: '' },
    });
  });

  it('names the missing argument instead of crashing', () => {
    const r = jobEnv(order, { script: 'x', env: { A: '$nope' } });
    assert.equal(r.TYPE, 'Unresolved');
    assert.match(r.TYPE === 'Unresolved' ? r.message : '', /env A refers to the argument \$nope/);
  });

  it('does not treat prototype names as arguments', () => {
    assert.equal(jobEnv(order, { script: 'x', env: { A: '$constructor' } }).TYPE, 'Unresolved');
  });
});

describe('parseDuration', () => {
  const cases: [string, number | undefined][] = [
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['0s', 0],
    ['30', undefined],
    ['-1s', undefined],
    ['1 s', undefined],
    ['1w', undefined],
  ];
  for (const [text, ms] of cases) it(`${text} → ${String(ms)}`, () => assert.equal(parseDuration(text), ms));
});

describe('validateWorkflow', () => {
  it('accepts the DESIGN example', () => {
    const w = { path: 'demo/hello', instructions: [{ TYPE: 'Execute', job: { script: 'echo hello $NAME', env: { NAME: '$name' }, timeout: '30s', restartable: true } }] };
    assert.deepEqual(validateWorkflow(w), w);
  });

  const refuse = (raw: unknown, code: ErrorCode, path: string) =>
    assert.throws(() => validateWorkflow(raw), (e: unknown) => hasCode(e, code) && e.arguments['path'] === path);

  it('names the deepest path of a problem', () => {
    refuse(
      { path: 'w', instructions: [{ TYPE: 'Retry', maxTries: 2, instructions: [{ TYPE: 'Fork', branches: [{ id: 'a', instructions: [{ TYPE: 'If', predicate: '$x <', then: [{ TYPE: 'Finish' }] }] }] }] }] },
      'InvalidWorkflow',
      '$.instructions[0].instructions[0].branches[0].instructions[0].predicate',
    );
    refuse({ path: '/abs', instructions: [{ TYPE: 'Finish' }] }, 'InvalidWorkflow', '$.path');
    refuse({ path: 'a//b', instructions: [{ TYPE: 'Finish' }] }, 'InvalidWorkflow', '$.path');
  });

  it('refuses absurd nesting', () => {
    let list: unknown[] = [{ TYPE: 'Finish' }];
    for (let i = 0; i < 40; i++) list = [{ TYPE: 'TryCatch', try: list, catch: [{ TYPE: 'Finish' }] }];
    assert.throws(() => validateWorkflow({ path: 'w', instructions: list }), (e: unknown) => hasCode(e, 'InvalidWorkflow') && /nested deeper/.test(e.message));
  });
});
