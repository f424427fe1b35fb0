import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseJsonBody } from '../../../src/api/json-body.js';
import { hasCode } from '../../../src/common/index.js';

function codeOf(text: string): string | undefined {
  try {
    parseJsonBody(text);
    return undefined;
  } catch (err) {
    return hasCode(err, 'InvalidJson') ? 'InvalidJson' : hasCode(err, 'InvalidRequest') ? 'InvalidRequest' : 'other';
  }
}

test('malformed JSON is InvalidJson', () => {
  for (const text of ['', '{', '{"a":}', "{'a':1}", 'undefined', '{"a":1}}']) assert.equal(codeOf(text), 'InvalidJson', text);
});

test('prototype-poisoning keys are InvalidRequest wherever they hide', () => {
  for (const text of [
    '{"__proto__":{"x":1}}',
    '{"a":[{"b":{"__proto__":null}}]}',
    '{"\\u005f_proto__":1}',
    '{"constructor":{"prototype":{"x":1}}}',
    '[[{"constructor":{"prototype":1}}]]',
  ]) {
    assert.equal(codeOf(text), 'InvalidRequest', text);
  }
  assert.equal(codeOf('{"constructor":"fine","prototype":"also fine"}'), undefined);
});

test('the path of a poisoning key is named', () => {
  try {
    parseJsonBody('{"order":{"arguments":[0,{"__proto__":1}]}}');
    assert.fail('accepted');
  } catch (err) {
    assert.ok(hasCode(err, 'InvalidRequest'));
    assert.equal(err.arguments['path'], '$.order.arguments[1].__proto__');
  }
});

test('any other JSON value parses to itself', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const text = JSON.stringify(value);
      if (/__proto__/.test(text)) return;
      assert.deepEqual(parseJsonBody(text), JSON.parse(text));
    }),
  );
});

test('very deep nesting does not overflow the stack', () => {
  const depth = 100_000;
  const text = '['.repeat(depth) + '"\\u0041"' + ']'.repeat(depth);
  assert.ok(['InvalidJson', undefined].includes(codeOf(text)));
});
