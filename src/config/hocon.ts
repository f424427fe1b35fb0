import { readFileSync } from 'node:fs';
import { TandemError } from '../common/index.js';
import { parseFile } from './hocon-parser.js';
import { resolveTree } from './hocon-resolver.js';
import { HoconSyntaxError } from './hocon-scanner.js';
import type { HoconObject, HoconProblem, HoconSources, HoconValue, RawObject, Resolved, ResolvedObject } from './hocon-types.js';

export interface ParseHoconOptions {
  /** The file name used in errors and as the base for relative includes. */
  readonly file: string;
  /** Reads an included or secret file; undefined when it does not exist. Defaults to the real file system. */
  readonly readFile?: (path: string) => string | undefined;
  /** Where `${x}` falls back to when `x` is no configuration path. Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Docker secrets directory, default /run/secrets. */
  readonly secretsDir?: string;
}

export const DEFAULT_SECRETS_DIR = '/run/secrets';

/** Reads a UTF-8 file; undefined when it is not there. Other failures are configuration errors. */
export function readFileIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'unknown';
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw syntaxError([{ file: path, line: 0, column: 0, message: `cannot read the file (${code})` }]);
  }
}

export function sourcesOf(options: Omit<ParseHoconOptions, 'file'>): HoconSources {
  return {
    readFile: options.readFile ?? readFileIfExists,
    env: options.env ?? process.env,
    secretsDir: options.secretsDir ?? DEFAULT_SECRETS_DIR,
  };
}

/** The TandemError for syntax and substitution problems, listing each with file:line:column. */
export function syntaxError(problems: readonly HoconProblem[]): TandemError {
  const lines = problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
  const message = lines.length === 1 ? (lines[0] ?? '') : `${lines.length} configuration errors:\n  ${lines.join('\n  ')}`;
  return new TandemError('ConfigSyntax', message, { errors: problems.map((p) => ({ ...p })) });
}

/** Parses one file (and its includes) without resolving substitutions; the first syntax error stops it. */
export function tryParseUnresolved(
  text: string,
  file: string,
  sources: HoconSources,
): { readonly ok: true; readonly root: RawObject } | { readonly ok: false; readonly problem: HoconProblem } {
  try {
    return { ok: true, root: parseFile(text, file, { sources, includeChain: [file], prefix: [], depth: 0 }) };
  } catch (err) {
    if (err instanceof HoconSyntaxError) return { ok: false, problem: err.problem };
    throw err;
  }
}

function parseUnresolved(text: string, file: string, sources: HoconSources): RawObject {
  const r = tryParseUnresolved(text, file, sources);
  if (!r.ok) throw syntaxError([r.problem]);
  return r.root;
}

/** Parses HOCON text into plain data, resolving includes and substitutions; never evaluates code. */
export function parseHocon(text: string, options: ParseHoconOptions): HoconObject {
  const sources = sourcesOf(options);
  const { root, problems } = resolveTree(parseUnresolved(text, options.file, sources), sources);
  if (problems.length > 0) throw syntaxError(problems);
  return toPlainObject(root);
}

/** Plain data from a resolved tree. Keys become own properties, so a key named `__proto__` stays a key. */
export function toPlain(node: Resolved): HoconValue {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'array':
      return node.items.map(toPlain);
    case 'object':
      return toPlainObject(node);
    default:
      return assertNever(node);
  }
}

export function toPlainObject(node: ResolvedObject): HoconObject {
  const out: Record<string, HoconValue> = {};
  for (const [k, v] of node.fields) {
    // Plain assignment would set the prototype for this one key.
    if (k === '__proto__') Object.defineProperty(out, k, { value: toPlain(v), enumerable: true, writable: true, configurable: true });
    else out[k] = toPlain(v);
  }
  return out;
}

function assertNever(x: never): never {
  throw new Error(`unexpected node: ${JSON.stringify(x)}`);
}
