import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The product's version, from package.json. */
export function productVersion(): string {
  const path = fileURLToPath(new URL('../../../package.json', import.meta.url));
  const pkg = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}
