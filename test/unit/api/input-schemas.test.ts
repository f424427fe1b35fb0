import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventQuerySchema, parseInput } from '../../../src/api/input-schemas.js';
import { hasCode } from '../../../src/common/index.js';

test('event query: defaults, seconds with decimals or an s, and timeouts cut to 60 s', () => {
  assert.deepEqual(parseInput(eventQuerySchema, { after: '5' }, 'q'), { after: 5, timeout: 0, limit: 1000 });
  assert.deepEqual(parseInput(eventQuerySchema, { after: '0', timeout: '2.5', limit: '10' }, 'q'), { after: 0, timeout: 2.5, limit: 10 });
  assert.equal(parseInput(eventQuerySchema, { after: '0', timeout: '30s' }, 'q').timeout, 30);
  assert.equal(parseInput(eventQuerySchema, { after: '0', timeout: '3600' }, 'q').timeout, 60);
  assert.equal(parseInput(eventQuerySchema, {}, 'q').after, undefined);
});

test('event query: bad values are InvalidRequest naming the parameter', () => {
  for (const [query, path] of [
    [{ after: '1.5' }, '$.after'],
    [{ after: ['1', '2'] }, '$.after'],
    [{ after: '1', limit: '10001' }, '$.limit'],
    [{ after: '1', timeout: '-1' }, '$.timeout'],
    [{ after: '9007199254740993' }, '$.after'],
  ] as const) {
    assert.throws(
      () => parseInput(eventQuerySchema, query, 'query'),
      (e) => hasCode(e, 'InvalidRequest') && e.arguments['path'] === path,
      JSON.stringify(query),
    );
  }
});
