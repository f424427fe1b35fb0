import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { errorCodes } from '../../src/common/index.js';

// Compiled to dist/test/unit/, so the repository root is three levels up.
const docPath = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

function documentedCodes(): string[] {
  const text = readFileSync(docPath, 'utf8');
  return [...text.matchAll(/^## +(\S+) *$/gm)].map((m) => m[1] ?? '');
}

test('every error code has a "## Code" section in docs/errors.md', () => {
  const documented = new Set(documentedCodes());
  const missing = Object.keys(errorCodes).filter((code) => !documented.has(code));
  assert.deepEqual(missing, [], `document these in docs/errors.md: ${missing.join(', ')}`);
});

test('docs/errors.md documents no code that does not exist, and each only once', () => {
  const codes = documentedCodes();
  const unknown = codes.filter((code) => !Object.hasOwn(errorCodes, code));
  assert.deepEqual(unknown, [], `docs/errors.md names codes the registry lacks: ${unknown.join(', ')}`);
  const repeated = codes.filter((code, i) => codes.indexOf(code) !== i);
  assert.deepEqual(repeated, [], `sections repeated: ${repeated.join(', ')}`);
});

test('each section states the status the registry gives the code', () => {
  const text = readFileSync(docPath, 'utf8');
  for (const [code, { status }] of Object.entries(errorCodes)) {
    const section = text.split(/^## +/m).find((s) => s.startsWith(`${code}\n`)) ?? '';
    // Loose on purpose: sections appended by others need only name the status somewhere.
    assert.match(section, new RegExp(`\\b${status}\\b`), `${code}'s section should state its status ${status}`);
  }
});
