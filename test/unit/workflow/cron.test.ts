import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CronError, countTicks, nextTick, parseCron, prevTick, type CronExpression } from '../../../src/workflow/index.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('cron: parsing', () => {
  const bad: [string, RegExp][] = [
    ['* * * *', /5 or 6 fields/],
    ['* * * * * * *', /5 or 6 fields/],
    ['60 * * * *', /minute: 60 is outside 0–59/],
    ['* 24 * * *', /hour: 24/],
    ['* * 0 * *', /day of month: 0/],
    ['* * * 13 *', /month: 13/],
    ['* * * * 8', /day of week: 8/],
    ['5-1 * * * *', /goes backwards/],
    ['*/0 * * * *', /step '0'/],
    ['*/x * * * *', /step 'x'/],
    ['* * * FOO *', /month: 'FOO' is not a number or name/],
    ['1-2-3 * * * *', /not a range/],
    ['1,,2 * * * *', /minute/],
    ['0 0 30 2 *', /never fires/],
    ['0 0 31 4,6,9,11 *', /never fires/],
  ];
  for (const [text, message] of bad) {
    it(`refuses '${text}'`, () => assert.throws(() => parseCron(text), (e: unknown) => e instanceof CronError && message.test(e.message)));
  }

  it('reads lists, ranges, steps and names', () => {
    const e = parseCron('0,30 9-17/4 * jan-Mar MON-FRI');
    assert.deepEqual(e.minutes, [0, 30]);
    assert.deepEqual(e.hours, [9, 13, 17]);
    assert.deepEqual([...e.months].sort(), [1, 2, 3]);
    assert.deepEqual([...e.weekdays].sort(), [1, 2, 3, 4, 5]);
    assert.deepEqual(e.seconds, [0]);
  });

  it('reads a seconds field first when there are six', () => {
    assert.deepEqual(parseCron('*/20 * * * * *').seconds, [0, 20, 40]);
  });

  it('takes 7 as Sunday and a/n as a…max step n', () => {
    assert.deepEqual([...parseCron('0 0 * * 7').weekdays], [0]);
    assert.deepEqual(parseCron('10/20 * * * *').minutes, [10, 30, 50]);
  });
});

describe('cron: nextTick', () => {
  const cases: [string, string, string][] = [
    ['*/15 * * * *', '2026-01-01T00:07:30Z', '2026-01-01T00:15:00.000Z'],
    ['*/15 * * * *', '2026-01-01T00:15:00Z', '2026-01-01T00:30:00.000Z'],
    ['*/15 * * * *', '2026-01-01T00:14:59.999Z', '2026-01-01T00:15:00.000Z'],
    ['0 0 1 1 *', '2026-12-31T23:59:59Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 31 * *', '2026-01-31T00:00:00Z', '2026-03-31T00:00:00.000Z'],
    ['0 0 31 * *', '2026-03-31T00:00:00Z', '2026-05-31T00:00:00.000Z'],
    ['0 0 29 2 *', '2026-01-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 29 2 *', '2096-03-01T00:00:00Z', '2104-02-29T00:00:00.000Z'],
    ['0 0 28-31 2 *', '2026-02-28T00:00:00Z', '2027-02-28T00:00:00.000Z'],
    ['30 23 * * *', '2028-02-28T23:30:00Z', '2028-02-29T23:30:00.000Z'],
    ['*/10 * * * * *', '2026-01-01T12:00:05.500Z', '2026-01-01T12:00:10.000Z'],
    ['0 9 * * MON-FRI', '2026-01-02T10:00:00Z', '2026-01-05T09:00:00.000Z'],
    ['0 0 * * 0', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00.000Z'],
    // Both day fields restricted: either matches (Vixie cron).
    ['0 0 13 * FRI', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00.000Z'],
    ['0 0 13 * FRI', '2026-01-09T00:00:00Z', '2026-01-13T00:00:00.000Z'],
    ['@daily', '2026-06-30T12:00:00Z', '2026-07-01T00:00:00.000Z'],
    ['@hourly', '2026-06-30T12:00:00Z', '2026-06-30T13:00:00.000Z'],
  ];
  for (const [expr, after, expected] of cases) {
    it(`'${expr}' after ${after} is ${expected}`, () => assert.equal(iso(nextTick(expr, at(after))), expected));
  }

  it('prevTick finds the last tick at or before a time', () => {
    assert.equal(iso(prevTick('*/15 * * * *', at('2026-01-01T00:15:00Z')) ?? 0), '2026-01-01T00:15:00.000Z');
    assert.equal(iso(prevTick('0 0 29 2 *', at('2027-01-01T00:00:00Z')) ?? 0), '2024-02-29T00:00:00.000Z');
    assert.equal(prevTick('0 0 1 1 *', at('2026-06-01T00:00:00Z'), at('2026-02-01T00:00:00Z')), undefined);
  });

  it('agrees with a minute-by-minute search (property)', () => {
    const field = (max: number, min = 0) =>
      fc.oneof(
        fc.constant('*'),
        fc.integer({ min, max }).map(String),
        fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
        fc.integer({ min: 1, max: 12 }).map((s) => `*/${s}`),
      );
    const exprArb = fc
      .tuple(field(59), field(23), field(28, 1), field(12, 1), field(6))
      .map((parts) => parts.join(' '));
    const start = fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2030-01-01T00:00:00Z') });
    fc.assert(
      fc.property(exprArb, start, (text, after) => {
        const e = parseCron(text);
        const got = nextTick(e, after);
        assert.ok(got > after && matches(e, got), `${text}: ${iso(got)} does not match`);
        // Nothing matches in between (checked minute by minute up to a bound).
        const limit = Math.min(got, after + 2 * 86_400_000);
        for (let t = Math.floor(after / 60_000) * 60_000 + 60_000; t < limit; t += 60_000) assert.ok(!matches(e, t), `${text}: missed ${iso(t)}`);
        assert.equal(prevTick(e, got), got);
        assert.equal(countTicks(e, after, got), 1);
      }),
      { numRuns: 150 },
    );
  });
});

describe('cron: countTicks', () => {
  it('counts ticks in (from, to] across days and months', () => {
    assert.equal(countTicks('0 * * * *', at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00Z')), 24);
    assert.equal(countTicks('* * * * * *', at('2026-01-01T00:00:00Z'), at('2027-01-01T00:00:00Z')), 365 * 86_400);
    assert.equal(countTicks('0 0 * * MON', at('2026-01-01T00:00:00Z'), at('2026-02-01T00:00:00Z')), 4);
    assert.equal(countTicks('*/15 * * * *', at('2026-01-01T00:15:00Z'), at('2026-01-01T00:15:00Z')), 0);
  });

  it('agrees with stepping through nextTick (property)', () => {
    const exprs = ['*/7 * * * *', '0 */5 * * *', '15 10 * * MON,THU', '0 0 1,15 * *', '*/20 3 * * * *'];
    fc.assert(
      fc.property(fc.constantFrom(...exprs), fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2026-12-31T00:00:00Z') }), fc.integer({ min: 0, max: 3 * 86_400_000 }), (text, from, span) => {
        let n = 0;
        for (let t = nextTick(text, from); t <= from + span; t = nextTick(text, t)) n++;
        assert.equal(countTicks(text, from, from + span), n);
      }),
      { numRuns: 200 },
    );
  });
});

/** An independent reading of the expression's meaning at time `t`. */
function matches(e: CronExpression, t: number): boolean {
  const d = new Date(t);
  if (d.getUTCMilliseconds() !== 0) return false;
  const dom = e.days.has(d.getUTCDate());
  const dow = e.weekdays.has(d.getUTCDay());
  const day = e.domRestricted && e.dowRestricted ? dom || dow : dom && dow;
  return (
    day &&
    e.months.has(d.getUTCMonth() + 1) &&
    e.hours.includes(d.getUTCHours()) &&
    e.minutes.includes(d.getUTCMinutes()) &&
    e.seconds.includes(d.getUTCSeconds())
  );
}
