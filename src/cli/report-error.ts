import { TandemError } from '../common/index.js';

/** Prints an error for a person: the code, the message, and each listed sub-error. */
export function reportError(err: unknown): void {
  if (err instanceof TandemError) {
    process.stderr.write(`tandem: ${err.code}: ${err.message}\n`);
    const errors = err.arguments['errors'];
    if (Array.isArray(errors)) {
      for (const e of errors) process.stderr.write(`  - ${formatEntry(e)}\n`);
    } else if (Object.keys(err.arguments).length > 0) {
      process.stderr.write(`  ${JSON.stringify(err.arguments)}\n`);
    }
    return;
  }
  process.stderr.write(`tandem: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}

function formatEntry(e: unknown): string {
  if (typeof e !== 'object' || e === null) return String(e);
  const r = e as Record<string, unknown>;
  const where = [r['file'], r['line'] !== undefined ? `${String(r['line'])}:${String(r['column'] ?? '')}` : undefined, r['path']]
    .filter((x) => x !== undefined && x !== '')
    .map(String)
    .join(' ');
  return `${where}: ${String(r['message'] ?? JSON.stringify(e))}`;
}
