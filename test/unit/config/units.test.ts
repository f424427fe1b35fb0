import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasCode } from '../../../src/common/index.js';
import { parseDuration, parseSize } from '../../../src/config/index.js';

describe('parseDuration', () => {
  test('units from ms to days, fractions, spaces, long names, bare numbers as ms', () => {
    const cases: [unknown, number][] = [
      ['3s', 3000],
      ['500ms', 500],
      ['1m', 60_000],
      ['2h', 7_200_000],
      ['1d', 86_400_000],
      ['1.5s', 1500],
      ['10 seconds', 10_000],
      ['1 minute', 60_000],
      ['250', 250],
      [250, 250],
      [0, 0],
      ['0s', 0],
    ];
    for (const [input, ms] of cases) assert.equal(parseDuration(input), ms, String(input));
  });

  test('anything else is ConfigInvalid saying what was expected and what came', () => {
    for (const bad of ['3x', 's', '-1s', '1e3s', '', 'forever', true, null, [], {}, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => parseDuration(bad),
        (err: unknown) => hasCode(err, 'ConfigInvalid') && /expected a duration such as .*, got /.test(err.message),
        String(bad),
      );
    }
  });
});

describe('parseSize', () => {
  test('powers of two for single letters and KiB-style, powers of ten for kB-style', () => {
    const cases: [unknown, number][] = [
      ['1k', 1024],
      ['1K', 1024],
      ['10M', 10 * 2 ** 20],
      ['64MiB', 64 * 2 ** 20],
      ['2 GiB', 2 * 2 ** 30],
      ['1g', 2 ** 30],
      ['1kB', 1000],
      ['3MB', 3_000_000],
      ['1.5k', 1536],
      ['100', 100],
      ['100B', 100],
      ['7 bytes', 7],
      [4096, 4096],
    ];
    for (const [input, bytes] of cases) assert.equal(parseSize(input), bytes, String(input));
  });

  test('anything else is ConfigInvalid', () => {
    for (const bad of ['1x', 'MiB', '-1k', '1 000', 'lots', false, {}, -1, '99999999999T']) {
      assert.throws(() => parseSize(bad), (err: unknown) => hasCode(err, 'ConfigInvalid'), String(bad));
    }
  });
});
