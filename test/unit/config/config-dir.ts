import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { TandemError } from '../../../src/common/index.js';
import type { ConfigErrorEntry } from '../../../src/config/index.js';

/** A temp config dir holding `files` (relative path → content), removed after the test. */
export function configDir(t: TestContext, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** The ConfigInvalid error `fn` throws; fails the test otherwise. */
export function configInvalid(fn: () => unknown): { message: string; errors: ConfigErrorEntry[] } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TandemError, String(err));
    assert.equal(err.code, 'ConfigInvalid', err.message);
    const errors = err.arguments['errors'];
    assert.ok(Array.isArray(errors));
    return { message: err.message, errors: errors as ConfigErrorEntry[] };
  }
  assert.fail('expected ConfigInvalid');
}

/** Asserts that one error names this file and path and says `message`. */
export function assertError(errors: readonly ConfigErrorEntry[], file: string, path: string, message: RegExp): void {
  const found = errors.find((e) => e.file === file && e.path === path);
  assert.ok(found !== undefined, `no error for ${file} ${path} in ${JSON.stringify(errors, null, 1)}`);
  assert.match(found.message, message);
}
