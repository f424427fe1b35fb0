import assert from 'node:assert/strict';
import { TandemError } from '../../../src/common/index.js';
import { parseHocon, type HoconObject, type ParseHoconOptions } from '../../../src/config/index.js';

/** Options that reach no real file, environment or secret unless a test gives them. */
export function isolated(over: Partial<ParseHoconOptions> = {}): ParseHoconOptions {
  return { file: '/conf/test.conf', readFile: () => undefined, env: {}, secretsDir: '/nonexistent-secrets', ...over };
}

/** Parses with isolated options; `files` are what includes and secrets may read. */
export function parse(text: string, over: Partial<ParseHoconOptions> & { files?: Record<string, string> } = {}): HoconObject {
  const { files, ...rest } = over;
  const readFile = files === undefined ? undefined : (p: string): string | undefined => (Object.hasOwn(files, p) ? files[p] : undefined);
  return parseHocon(text, isolated({ ...(readFile === undefined ? {} : { readFile }), ...rest }));
}

export interface SyntaxProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** The problems a ConfigSyntax error carries; fails the test on success or any other error. */
export function syntaxProblems(fn: () => unknown): SyntaxProblem[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TandemError, `expected a TandemError, got ${String(err)}`);
    assert.equal(err.code, 'ConfigSyntax', err.message);
    const errors = err.arguments['errors'];
    assert.ok(Array.isArray(errors) && errors.length > 0, 'ConfigSyntax without errors');
    return errors as SyntaxProblem[];
  }
  assert.fail('expected a ConfigSyntax error');
}

/** The single problem of parsing `text`. */
export function syntaxProblem(text: string, over: Partial<ParseHoconOptions> & { files?: Record<string, string> } = {}): SyntaxProblem {
  const [first] = syntaxProblems(() => parse(text, over));
  assert.ok(first !== undefined);
  return first;
}
