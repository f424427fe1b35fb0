import fc from 'fast-check';
import type { HoconObject, HoconValue } from '../../../src/config/index.js';

/**
 * Random configuration trees and a renderer that writes one tree in many HOCON
 * styles (nested or dotted keys, quoted keys, comments, ':' or '=', commas or new
 * lines, overridden earlier values), for round-trip fuzzing of the parser.
 */

const BARE_KEY = /^[A-Za-z0-9_-]+$/;
const SAFE_WORD = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const SAFE_SINGLE = /^[A-Za-z_][A-Za-z0-9_./-]*(?::[A-Za-z0-9_./-]*)*$/;
const KEYWORDS = new Set(['true', 'false', 'null']);

/** Builds an object whose keys are own properties even when one is `__proto__`, as the parser does. */
export function objectOf(entries: readonly (readonly [string, HoconValue])[]): HoconObject {
  const out: Record<string, HoconValue> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const key = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_-]{0,7}$/),
  fc.string({ maxLength: 6, unit: 'binary' }),
  fc.constantFrom('a.b', 'with space', '__proto__', 'constructor', 'include', 'true', '10', '"q"', '#', '//', '${x}', '', 'é', '日本'),
);

const stringValue = fc.oneof(
  fc.string({ maxLength: 12, unit: 'binary' }),
  fc.string({ maxLength: 12, unit: 'grapheme' }),
  fc.stringMatching(/^[a-z]{1,5}( [a-z]{1,5}){0,3}$/),
  fc.constantFrom('yes', 'on', 'true', '42', 'https://host:1/x', 'https://h/a//b', 'private/https.crt', 'sha512:abc', 'a"""b', 'x"', '', ' '),
);

const scalar: fc.Arbitrary<HoconValue> = fc.oneof(
  stringValue,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.boolean(),
  fc.constant(null),
);

/** Random configuration trees, a few levels deep. */
export const configTree: fc.Arbitrary<HoconObject> = fc.letrec<{ value: HoconValue; object: HoconObject }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 4 }), tie('object')),
  object: fc
    .uniqueArray(fc.tuple(key, tie('value')), { selector: ([k]) => k, maxLength: 5 })
    .map((entries) => objectOf(entries)),
})).object;

/** A small deterministic generator, so one seed gives one rendering and fast-check can shrink it. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

function isObject(v: HoconValue): v is HoconObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Writes `tree` as HOCON in styles chosen by `seed`. */
export function renderHocon(tree: HoconObject, seed: number): string {
  const pick = prng(seed);
  const chance = (inN: number): boolean => pick(inN) === 0;
  const comment = (): string => (chance(2) ? ' # note' : ' // note: a=1, b=[');

  const keyText = (k: string): string => (BARE_KEY.test(k) && !chance(4) ? k : JSON.stringify(k));

  const stringText = (s: string): string => {
    const single = SAFE_SINGLE.test(s) && !KEYWORDS.has(s) && (!s.includes('//') || s.indexOf(':') < s.indexOf('//'));
    const words = s.split(' ');
    const multi = words.length > 1 && words.every((w) => SAFE_WORD.test(w) && !KEYWORDS.has(w));
    const choice = pick(4);
    if (choice === 0 && (single || multi)) return s;
    if (choice === 1 && !s.includes('"""') && !s.endsWith('"')) return `"""${s}"""`;
    if (choice === 2 && s.length > 1) {
      const cut = 1 + pick(s.length - 1);
      // Splitting a surrogate pair would change the text; keep such strings whole.
      if (!/[\uD800-\uDFFF]/.test(s)) return JSON.stringify(s.slice(0, cut)) + JSON.stringify(s.slice(cut));
    }
    return JSON.stringify(s);
  };

  const value = (v: HoconValue, indent: string): string => {
    if (v === null) return 'null';
    if (typeof v === 'string') return stringText(v);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) {
      if (v.length === 0) return chance(2) ? '[]' : '[ ]';
      const inner = `${indent}  `;
      if (chance(2)) return `[${v.map((x) => value(x, inner)).join(chance(2) ? ', ' : ',')}${chance(3) ? ',' : ''}]`;
      const lines = v.map((x) => `${inner}${value(x, inner)}${chance(2) ? ',' : ''}${chance(4) ? comment() : ''}`);
      return `[\n${lines.join('\n')}\n${indent}]`;
    }
    if (isObject(v)) return `{${body(v, `${indent}  `, true)}${indent}}`;
    throw new Error('unreachable');
  };

  /** The fields of an object, each on its own line or comma-separated. */
  const body = (obj: HoconObject, indent: string, braced: boolean): string => {
    const fields: string[] = [];
    for (const [k, v] of Object.entries(obj)) fields.push(...field([k], v, indent));
    if (fields.length === 0) return braced && chance(2) ? '\n' : ' ';
    if (chance(3) && !fields.some((f) => f.includes('\n') || f.includes('#') || f.includes('//'))) {
      return ` ${fields.join(', ')}${chance(2) ? ',' : ''} `;
    }
    const lines = fields.map((f) => `${indent}${f}${chance(3) ? ',' : ''}${chance(5) ? comment() : ''}`);
    return `\n${chance(4) ? `${indent}# a comment line\n` : ''}${lines.join(chance(5) ? '\n\n' : '\n')}\n`;
  };

  /**
   * One field as one or more lines: maybe flattened into dotted keys, maybe split into
   * two objects that merge, maybe after a decoy it overrides.
   */
  const field = (path: string[], v: HoconValue, indent: string, decoy = true): string[] => {
    const keys = path.map(keyText).join('.');
    const out: string[] = [];
    if (isObject(v) && Object.keys(v).length > 1 && chance(4)) {
      const entries = Object.entries(v);
      const cut = 1 + pick(entries.length - 1);
      // The second half must merge into the first, so no decoy may stand between them.
      return [...field(path, objectOf(entries.slice(0, cut)), indent, decoy), ...field(path, objectOf(entries.slice(cut)), indent, false)];
    }
    if (decoy && chance(6)) {
      // An earlier value that this one must override: never an object before an object, which would merge.
      out.push(`${keys} = ${isObject(v) || chance(2) ? '"decoy"' : '{ decoy = 1 }'}`);
    }
    if (isObject(v) && Object.keys(v).length > 0 && path.length < 6 && chance(3)) {
      for (const [k, child] of Object.entries(v)) out.push(...field([...path, k], child, indent));
      return out;
    }
    if (isObject(v) && chance(2)) {
      out.push(`${keys} ${value(v, indent)}`);
    } else {
      const sep = [' = ', ' : ', '=', ':', ' =\t', '\t: '][pick(6)] ?? ' = ';
      out.push(`${keys}${sep}${value(v, indent)}`);
    }
    return out;
  };

  const text = chance(3) ? `{${body(tree, '  ', true)}}` : body(tree, '', false);
  return chance(4) ? `# generated\n${text}\n// end` : text;
}
