import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspectJournal, verifyJournal } from '../journal/index.js';

/** `tandem journal inspect|verify DIR`: DIR is a data directory (or its `state/` folder). */
export async function runJournalCommand(argv: readonly string[]): Promise<number> {
  const [sub, dirArg, ...extra] = argv;
  const json = extra.includes('--json');
  if ((sub !== 'inspect' && sub !== 'verify') || dirArg === undefined) {
    process.stderr.write('usage: tandem journal inspect|verify DATA_DIR [--json]\n');
    return 2;
  }
  const dir = existsSync(join(dirArg, 'state')) ? join(resolve(dirArg), 'state') : resolve(dirArg);
  if (sub === 'inspect') {
    const summary = await inspectJournal(dir);
    process.stdout.write(`${JSON.stringify(summary, null, json ? 0 : 2)}\n`);
    return 0;
  }
  const report = await verifyJournal(dir);
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    for (const f of report.files) {
      process.stdout.write(`${f.name}: ${f.records} records, ${f.events} events, ${f.bytes} bytes\n`);
    }
    for (const p of report.problems) process.stdout.write(`PROBLEM ${p.file} at offset ${p.offset}: ${p.message}\n`);
    process.stdout.write(report.ok ? 'journal OK\n' : 'journal DAMAGED\n');
  }
  return report.ok ? 0 : 1;
}
