import type { z } from 'zod';
import { TandemError } from '../common/index.js';
import { renderPath } from './hocon-path.js';
import type { HoconProblem, Origin, Resolved, ResolvedObject } from './hocon-types.js';

/** One configuration error as reported in ConfigInvalid's `errors` argument. */
export interface ConfigErrorEntry {
  readonly file: string;
  /** The HOCON path, e.g. `js7.journal.sync`; '' for the file as a whole. */
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/** Where the value at `path` (or, when it is missing, its nearest parent) was written. */
export function originAt(root: ResolvedObject, path: readonly PropertyKey[]): Origin {
  let node: Resolved = root;
  for (const key of path) {
    const next: Resolved | undefined =
      node.kind === 'object' && typeof key === 'string' ? node.fields.get(key) : node.kind === 'array' && typeof key === 'number' ? node.items[key] : undefined;
    if (next === undefined) break;
    node = next;
  }
  return node.origin;
}

function pathKeys(path: readonly PropertyKey[]): (string | number)[] {
  return path.map((k) => (typeof k === 'symbol' ? String(k) : k));
}

/** Schema issues as errors naming file, line and HOCON path. */
export function schemaErrors(issues: readonly z.core.$ZodIssue[], root: ResolvedObject): ConfigErrorEntry[] {
  return issues.map((issue) => {
    const { file, line, column } = originAt(root, issue.path);
    return { file, line, column, path: renderPath(pathKeys(issue.path)), message: issue.message };
  });
}

/** Substitution problems in the same shape. */
export function problemErrors(problems: readonly HoconProblem[]): ConfigErrorEntry[] {
  return problems.map((p) => ({ file: p.file, line: p.line, column: p.column, path: p.path ?? '', message: p.message }));
}

function describe(e: ConfigErrorEntry): string {
  const where = e.line === undefined || e.line === 0 ? e.file : `${e.file}:${e.line}`;
  return e.path === '' ? `${where}: ${e.message}` : `${where}: ${e.path}: ${e.message}`;
}

/** One ConfigInvalid error listing every problem, so an operator fixes them all in one go. */
export function configInvalid(errors: readonly ConfigErrorEntry[]): TandemError {
  const message =
    errors.length === 1
      ? `invalid configuration: ${describe(errors[0] as ConfigErrorEntry)}`
      : `invalid configuration, ${errors.length} errors:\n  ${errors.map(describe).join('\n  ')}`;
  return new TandemError('ConfigInvalid', message, { errors: errors.map((e) => ({ ...e })) });
}
