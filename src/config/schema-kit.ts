import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { describeValue, toDuration, toSize, type Conversion } from './units.js';

/**
 * Building blocks for configuration schemas over HOCON trees. Each block reports
 * its own errors with an operator's wording ("expected a boolean …, got \"maybe\"")
 * and a section keeps checking every key after the first error, so the loader can
 * report all errors at once.
 */

type Shape = Readonly<Record<string, z.ZodType>>;
type Output<S extends Shape> = { [K in keyof S]: z.output<S[K]> };
type Ctx = z.core.$RefinementCtx;

/** What file-valued keys need: the directory relative paths start from. */
export interface SchemaContext {
  readonly configDir: string;
  readonly fileExists?: (path: string) => boolean;
  readonly readFile: (path: string) => string | undefined;
}

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Copies a nested schema's issues into the current one, below `path`. */
function forward(ctx: Ctx, issues: readonly z.core.$ZodIssue[], path: readonly PropertyKey[]): void {
  for (const issue of issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [...path, ...issue.path] });
}

/** `{ key: value }`, or `{}` when value is undefined: an optional property that is absent, not undefined. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

/** A leaf: converts a present value or says why not. A missing value is an error unless wrapped in .optional()/.default(). */
export function leaf<T>(convert: (v: unknown) => Conversion<T>) {
  return z.unknown().transform((v, ctx): T => {
    const r = v === undefined ? { ok: false as const, message: 'required, but not set' } : convert(v);
    if (r.ok) return r.value;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  });
}

/** Parses `v` with `schema`, forwarding its issues below `path`; undefined when it failed. */
export function parseInto<T>(schema: z.ZodType<T>, v: unknown, ctx: Ctx, path: readonly PropertyKey[]): { ok: true; value: T } | { ok: false } {
  const r = schema.safeParse(v);
  if (r.success) return { ok: true, value: r.data };
  forward(ctx, r.error.issues, path);
  return { ok: false };
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

/** The known key `key` was probably meant to be, if any is close enough. */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const best = known.map((k) => ({ k, d: distance(key.toLowerCase(), k) })).sort((x, y) => x.d - y.d)[0];
  return best !== undefined && best.d <= Math.max(1, Math.floor(key.length / 4)) ? best.k : undefined;
}

export interface SectionOptions<S extends Shape> {
  /**
   * Keys not in the shape: reported (true, the default), ignored (false), or reported
   * only when they look like a misspelt known key ('typos', for sections shared with JS7 keys Tandem does not use).
   */
  readonly strict?: boolean | 'typos';
  /** A check across keys; sees only the keys that parsed. */
  readonly check?: (out: Partial<Output<S>>, report: (key: keyof S & string, message: string) => void) => void;
}

/**
 * An object of known keys. Missing and `null` keys read as unset, so defaults apply;
 * a missing section reads as an empty one.
 */
export function section<S extends Shape>(shape: S, options: SectionOptions<S> = {}) {
  const known = Object.keys(shape);
  return z.unknown().transform((input, ctx): Output<S> => {
    const obj = input ?? {};
    if (!isRecord(obj)) {
      ctx.addIssue({ code: 'custom', message: `expected an object, got ${describeValue(input)}` });
      return z.NEVER;
    }
    const out: Record<string, unknown> = {};
    let failed = false;
    for (const key of known) {
      const raw = Object.hasOwn(obj, key) ? obj[key] : undefined;
      const schema = shape[key];
      if (schema === undefined) continue;
      const r = parseInto(schema, raw ?? undefined, ctx, [key]);
      if (r.ok) out[key] = r.value;
      else failed = true;
    }
    if (options.strict !== false) {
      for (const key of Object.keys(obj)) {
        if (Object.hasOwn(shape, key)) continue;
        const suggestion = suggestKey(key, known);
        if (options.strict === 'typos' && suggestion === undefined) continue;
        failed = true;
        const message = suggestion === undefined ? 'unknown key' : `unknown key — did you mean ${suggestion}?`;
        ctx.addIssue({ code: 'custom', message, path: [key] });
      }
    }
    options.check?.(out as Partial<Output<S>>, (key, message) => {
      failed = true;
      ctx.addIssue({ code: 'custom', message, path: [key] });
    });
    // Every key in `known` parsed when nothing failed, so `out` has the full shape.
    return failed ? z.NEVER : (out as Output<S>);
  });
}

/** A list whose every element is parsed by `item`. */
export function list<T>(item: z.ZodType<T>) {
  return z.unknown().transform((v, ctx): T[] => {
    if (v === undefined) ctx.addIssue({ code: 'custom', message: 'required, but not set' });
    else if (!Array.isArray(v)) ctx.addIssue({ code: 'custom', message: `expected a list [ … ], got ${describeValue(v)}` });
    else {
      const out: T[] = [];
      let failed = false;
      v.forEach((e: unknown, i) => {
        const r = parseInto(item, e, ctx, [i]);
        if (r.ok) out.push(r.value);
        else failed = true;
      });
      if (!failed) return out;
    }
    return z.NEVER;
  });
}

/** An object whose keys are free (ids) and whose values are parsed by `value`. */
export function record<T>(value: z.ZodType<T>) {
  return z.unknown().transform((v, ctx): Record<string, T> => {
    if (!isRecord(v)) {
      ctx.addIssue({ code: 'custom', message: `expected an object { id = … }, got ${describeValue(v)}` });
      return z.NEVER;
    }
    const out: Record<string, T> = {};
    let failed = false;
    for (const [k, e] of Object.entries(v)) {
      const r = parseInto(value, e, ctx, [k]);
      if (r.ok) Object.defineProperty(out, k, { value: r.value, enumerable: true, writable: true, configurable: true });
      else failed = true;
    }
    return failed ? z.NEVER : out;
  });
}

const TRUE = new Set(['true', 'yes', 'on']);
const FALSE = new Set(['false', 'no', 'off']);

/** HOCON booleans: true/false, and the strings yes/no/on/off (any case). */
export const booleanValue = leaf((v): Conversion<boolean> => {
  if (typeof v === 'boolean') return { ok: true, value: v };
  const s = typeof v === 'string' ? v.toLowerCase() : undefined;
  if (s !== undefined && TRUE.has(s)) return { ok: true, value: true };
  if (s !== undefined && FALSE.has(s)) return { ok: true, value: false };
  return { ok: false, message: `expected a boolean (yes/no/on/off/true/false), got ${describeValue(v)}` };
});

/** A string; numbers and booleans read as their text, as HOCON's getString does. */
export function text(check?: (s: string) => string | undefined) {
  return leaf((v): Conversion<string> => {
    const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
    if (s === undefined) return { ok: false, message: `expected a string, got ${describeValue(v)}` };
    const problem = check?.(s);
    return problem === undefined ? { ok: true, value: s } : { ok: false, message: problem };
  });
}

export const duration = leaf(toDuration);
export const positiveDuration = leaf((v) => {
  const r = toDuration(v);
  return r.ok && r.value <= 0 ? { ok: false, message: `must be longer than 0, got ${describeValue(v)}` } : r;
});
/** A duration of at least `minMs` (`minText` says it in the error, e.g. `1m`). */
export function durationAtLeast(minMs: number, minText: string) {
  return leaf((v) => {
    const r = toDuration(v);
    return r.ok && r.value < minMs ? { ok: false, message: `must be at least ${minText}, got ${describeValue(v)}` } : r;
  });
}
export const size = leaf(toSize);

/** An http(s) URI. */
export const uri = text((s) => {
  const url = URL.canParse(s) ? new URL(s) : undefined;
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) return `expected an https:// (or http://) URI, got ${JSON.stringify(s)}`;
  return undefined;
});

/** A path relative to the config directory, made absolute; `mustExist` reports a missing file. */
export function filePath(ctx: SchemaContext, mustExist: boolean) {
  const exists = ctx.fileExists ?? existsSync;
  return text((s) => (s === '' ? 'expected a file path, got ""' : undefined)).transform((s, zctx) => {
    const full = isAbsolute(s) ? s : resolve(ctx.configDir, s);
    if (mustExist && !exists(full)) {
      zctx.addIssue({ code: 'custom', message: `file not found: ${full}${isAbsolute(s) ? '' : ` (${JSON.stringify(s)} is relative to the config directory)`}` });
      return z.NEVER;
    }
    return full;
  });
}
