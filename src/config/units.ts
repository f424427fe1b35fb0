import { TandemError } from '../common/index.js';

/** A conversion that either worked or says, for an operator, what was wrong. */
export type Conversion<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const AMOUNT = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$/;

const MS_PER: Readonly<Record<string, number>> = {
  '': 1,
  ms: 1, milli: 1, millis: 1, millisecond: 1, milliseconds: 1,
  s: 1000, second: 1000, seconds: 1000,
  m: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

// HOCON's size units: single letters and "Ki"-style are powers of two, "kB"-style powers of ten.
const BYTES_PER: Readonly<Record<string, number>> = {
  '': 1, B: 1, b: 1, byte: 1, bytes: 1,
  kB: 1e3, kilobyte: 1e3, kilobytes: 1e3,
  MB: 1e6, megabyte: 1e6, megabytes: 1e6,
  GB: 1e9, gigabyte: 1e9, gigabytes: 1e9,
  TB: 1e12, terabyte: 1e12, terabytes: 1e12,
  K: 2 ** 10, k: 2 ** 10, Ki: 2 ** 10, KiB: 2 ** 10, kibibyte: 2 ** 10, kibibytes: 2 ** 10,
  M: 2 ** 20, m: 2 ** 20, Mi: 2 ** 20, MiB: 2 ** 20, mebibyte: 2 ** 20, mebibytes: 2 ** 20,
  G: 2 ** 30, g: 2 ** 30, Gi: 2 ** 30, GiB: 2 ** 30, gibibyte: 2 ** 30, gibibytes: 2 ** 30,
  T: 2 ** 40, t: 2 ** 40, Ti: 2 ** 40, TiB: 2 ** 40, tebibyte: 2 ** 40, tebibytes: 2 ** 40,
};

/** How a value reads in an error message: strings quoted, structures named. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function convert(v: unknown, table: Readonly<Record<string, number>>, what: string): Conversion<number> {
  const fail = { ok: false, message: `expected ${what}, got ${describeValue(v)}` } as const;
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? { ok: true, value: v } : fail;
  if (typeof v !== 'string') return fail;
  const m = AMOUNT.exec(v);
  const factor = m === null ? undefined : table[m[2] ?? ''];
  if (m === null || factor === undefined) return fail;
  const value = Number(m[1]) * factor;
  return Number.isFinite(value) ? { ok: true, value } : fail;
}

/** Milliseconds from a HOCON duration: `3s`, `500ms`, `1m`, `2h`, `1d`, or a bare number of ms. */
export function toDuration(v: unknown): Conversion<number> {
  return convert(v, MS_PER, 'a duration such as 500ms, 3s, 1m, 2h or 1d');
}

/** Bytes from a HOCON size: `10M` and `64MiB` (powers of two), `1kB` (powers of ten), or a bare number. */
export function toSize(v: unknown): Conversion<number> {
  const r = convert(v, BYTES_PER, 'a size such as 1024, 64k, 10M, 64MiB or 1GB');
  if (!r.ok) return r;
  const value = Math.trunc(r.value);
  return Number.isSafeInteger(value) ? { ok: true, value } : { ok: false, message: `size too large, got ${describeValue(v)}` };
}

function orThrow(r: Conversion<number>, v: unknown): number {
  if (r.ok) return r.value;
  throw new TandemError('ConfigInvalid', r.message, { errors: [{ file: '', path: '', message: r.message }], value: describeValue(v) });
}

/** Parses a HOCON duration into milliseconds; throws ConfigInvalid when it is not one. */
export function parseDuration(v: unknown): number {
  return orThrow(toDuration(v), v);
}

/** Parses a HOCON size into bytes; throws ConfigInvalid when it is not one. */
export function parseSize(v: unknown): number {
  return orThrow(toSize(v), v);
}
