/**
 * Cron expressions in UTC: 5 fields (`m h dom mon dow`) or 6 (seconds first), with
 * `*`, lists, ranges, steps, month and weekday names, `?` for dom/dow, and the
 * @hourly/@daily/@weekly/@monthly/@yearly shorthands. As in Vixie cron, when both
 * day-of-month and day-of-week are restricted a day matching either fires.
 */

export class CronError extends Error {
  override readonly name = 'CronError';
}

export interface CronExpression {
  readonly text: string;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly question?: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const SECONDS: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTES: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOURS: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAYS: FieldSpec = { name: 'day of month', min: 1, max: 31, question: true };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTHS };
const WEEKDAY: FieldSpec = { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, question: true };
const SHORTHANDS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const SECOND = 1000;
const DAY = 86_400_000;
/** Far beyond the longest gap a valid expression can have (Feb 29 can skip 8 years). */
const SEARCH_LIMIT = 200_000;

/** Parses an expression; throws CronError saying which field is wrong and why. */
export function parseCron(text: string): CronExpression {
  const trimmed = text.trim();
  const expanded = SHORTHANDS[trimmed.toLowerCase()] ?? trimmed;
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) throw new CronError(`expected 5 or 6 fields, got ${parts.length}`);
  const [sec = '', min = '', hour = '', dom = '', month = '', dow = ''] = parts.length === 5 ? ['0', ...parts] : parts;
  const days = parseField(dom, DAYS);
  const months = parseField(month, MONTH);
  const restricted = (f: string): boolean => !(f.startsWith('*') || f.startsWith('?'));
  const expr: CronExpression = {
    text,
    seconds: sorted(parseField(sec, SECONDS)),
    minutes: sorted(parseField(min, MINUTES)),
    hours: sorted(parseField(hour, HOURS)),
    days,
    months,
    // 7 is another name for Sunday.
    weekdays: new Set([...parseField(dow, WEEKDAY)].map((d) => d % 7)),
    domRestricted: restricted(dom),
    dowRestricted: restricted(dow),
  };
  if (expr.domRestricted && !expr.dowRestricted && ![...months].some((m) => [...days].some((d) => d <= (MAX_DAYS[m - 1] ?? 0)))) {
    throw new CronError('it never fires: no selected month has any of the selected days');
  }
  return expr;
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  if (text === '') throw new CronError(`${spec.name}: empty field`);
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [rangeText = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronError(`${spec.name}: '${part}' has more than one /`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (stepText !== undefined && !(/^\d+$/.test(stepText) && step >= 1)) throw new CronError(`${spec.name}: step '${stepText}' must be a positive integer`);
    let from: number;
    let to: number;
    if (rangeText === '*' || (rangeText === '?' && spec.question === true)) {
      from = spec.min;
      to = spec.max;
    } else {
      const [a = '', b, more] = rangeText.split('-');
      if (more !== undefined) throw new CronError(`${spec.name}: '${rangeText}' is not a range`);
      from = value(a, spec);
      to = b === undefined ? (stepText === undefined ? from : spec.max) : value(b, spec);
      if (to < from) throw new CronError(`${spec.name}: range '${rangeText}' goes backwards`);
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function value(text: string, spec: FieldSpec): number {
  const byName = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (byName >= 0) return byName + spec.min;
  if (!/^\d+$/.test(text)) throw new CronError(`${spec.name}: '${text}' is not a number${spec.names === undefined ? '' : ' or name'}`);
  const n = Number(text);
  if (n < spec.min || n > spec.max) throw new CronError(`${spec.name}: ${n} is outside ${spec.min}–${spec.max}`);
  return n;
}

const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);

// Parsing is pure, so memoising it is safe; the bound keeps a stream of distinct expressions from growing it.
const cache = new Map<string, CronExpression>();

/** parseCron with a small memo, for callers that evaluate the same schedules repeatedly. */
export function cronOf(text: string): CronExpression {
  let expr = cache.get(text);
  if (expr === undefined) {
    expr = parseCron(text);
    if (cache.size >= 1000) cache.clear();
    cache.set(text, expr);
  }
  return expr;
}

function dayMatches(e: CronExpression, y: number, m: number, d: number): boolean {
  const dom = e.days.has(d);
  const dow = e.weekdays.has(new Date(Date.UTC(y, m - 1, d)).getUTCDay());
  return e.domRestricted && e.dowRestricted ? dom || dow : dom && dow;
}

/** The first tick strictly after `afterMs` (ms since 1970, UTC). */
export function nextTick(expression: string | CronExpression, afterMs: number): number {
  const e = typeof expression === 'string' ? cronOf(expression) : expression;
  let t = Math.floor(afterMs / SECOND) * SECOND + SECOND;
  for (let guard = 0; guard < SEARCH_LIMIT; guard++) {
    const d = new Date(t);
    const [y, mo, day, h, mi, s] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
    if (!e.months.has(mo + 1)) t = Date.UTC(y, mo + 1, 1);
    else if (!dayMatches(e, y, mo + 1, day)) t = Date.UTC(y, mo, day + 1);
    else if (!e.hours.includes(h)) t = Date.UTC(y, mo, day, h + 1);
    else if (!e.minutes.includes(mi)) t = Date.UTC(y, mo, day, h, mi + 1);
    else if (!e.seconds.includes(s)) t += SECOND;
    else return t;
  }
  throw new CronError(`no tick found after ${new Date(afterMs).toISOString()} for '${e.text}'`);
}

/** The last tick at or before `atOrBeforeMs`, or undefined if there is none after `notBeforeMs`. */
export function prevTick(expression: string | CronExpression, atOrBeforeMs: number, notBeforeMs = -Infinity): number | undefined {
  const e = typeof expression === 'string' ? cronOf(expression) : expression;
  let t = Math.floor(atOrBeforeMs / SECOND) * SECOND;
  for (let guard = 0; guard < SEARCH_LIMIT && t >= notBeforeMs; guard++) {
    const d = new Date(t);
    const [y, mo, day, h, mi, s] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
    if (!e.months.has(mo + 1)) t = Date.UTC(y, mo, 1) - SECOND;
    else if (!dayMatches(e, y, mo + 1, day)) t = Date.UTC(y, mo, day) - SECOND;
    else if (!e.hours.includes(h)) t = Date.UTC(y, mo, day, h) - SECOND;
    else if (!e.minutes.includes(mi)) t = Date.UTC(y, mo, day, h, mi) - SECOND;
    else if (!e.seconds.includes(s)) t -= SECOND;
    else return t;
  }
  return undefined;
}

/** How many ticks lie in (fromMs, toMs], counted day by day rather than tick by tick. */
export function countTicks(expression: string | CronExpression, fromMs: number, toMs: number): number {
  const e = typeof expression === 'string' ? cronOf(expression) : expression;
  const first = Math.floor(fromMs / SECOND) + 1; // first whole second that counts
  const last = Math.floor(toMs / SECOND);
  if (last < first) return 0;
  let count = 0;
  for (let dayStart = Math.floor((first * SECOND) / DAY) * DAY; dayStart <= last * SECOND; dayStart += DAY) {
    const d = new Date(dayStart);
    if (!e.months.has(d.getUTCMonth() + 1) || !dayMatches(e, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())) continue;
    const lo = Math.max(first * SECOND - dayStart, 0) / SECOND;
    const hi = Math.min(last * SECOND - dayStart, DAY - SECOND) / SECOND;
    count += ticksUpTo(e, hi) - ticksUpTo(e, lo - 1);
  }
  return count;
}

/** Ticks in one matching day whose second-of-day is ≤ `secondOfDay`. */
function ticksUpTo(e: CronExpression, secondOfDay: number): number {
  if (secondOfDay < 0) return 0;
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor((secondOfDay % 3600) / 60);
  const s = secondOfDay % 60;
  const perMinute = e.seconds.length;
  const perHour = e.minutes.length * perMinute;
  let n = 0;
  for (const hour of e.hours) {
    if (hour < h) n += perHour;
    else if (hour === h) {
      for (const minute of e.minutes) {
        if (minute < m) n += perMinute;
        else if (minute === m) n += e.seconds.filter((sec) => sec <= s).length;
      }
    }
  }
  return n;
}
