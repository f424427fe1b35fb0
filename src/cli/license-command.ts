import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock, TandemError } from '../common/index.js';
import {
  formatLicenceTimestamp,
  generateIssuerKeys,
  inspectLicenceFile,
  issueLicence,
  LICENCE_PRODUCT,
  licenceStatusAt,
  parseLicenceTimestamp,
  type LicenceInspection,
  type LicenceStatus,
} from '../licence/index.js';
import { reportError } from './report-error.js';

const usage = `usage:
  tandem license show FILE [--trusted-key PEMFILE]...
  tandem license verify FILE [--trusted-key PEMFILE]...
  tandem license issue --private-key PEMFILE --licensee NAME --valid-until YYYY-MM-DD[THH:mm:ssZ]
                       [--valid-from YYYY-MM-DD[THH:mm:ssZ]] [--id ID] --out FILE
  tandem license keygen --out-dir DIR`;

/** Thrown for a command line that does not fit `usage`; ends with exit code 2. */
class UsageError extends Error {}

/** Thrown when a file named on the command line cannot be used; ends with exit code 1. */
class CliFailure extends Error {}

/** `tandem license show|verify|issue|keygen` (spelt as JS7 spells it). */
export async function runLicenseCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'show':
        return await show(rest);
      case 'verify':
        return await verify(rest);
      case 'issue':
        return await issue(rest);
      case 'keygen':
        return await keygen(rest);
      default:
        throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand ${sub}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tandem license: ${err.message}\n${usage}\n`);
      return 2;
    }
    if (err instanceof CliFailure) {
      process.stderr.write(`tandem license: ${err.message}\n`);
      return 1;
    }
    reportError(err);
    return 1;
  }
}

/** Prints every field and the verdict; exit 0 only for a trusted licence valid now. */
async function show(argv: readonly string[]): Promise<number> {
  const { file, keys } = await licenceArgs(argv);
  const { licence, signature } = await inspect(file, keys);
  const status = licenceStatusAt(licence, systemClock.now());
  const row = (name: string, value: string | number): void => void process.stdout.write(`${`${name}:`.padEnd(13)} ${value}\n`);
  row('licensee', licence.licensee);
  row('id', licence.id);
  row('product', LICENCE_PRODUCT);
  row('valid from', formatLicenceTimestamp(licence.validFrom));
  row('valid until', formatLicenceTimestamp(licence.validUntil));
  row('issued at', formatLicenceTimestamp(licence.issuedAt));
  row('days left', status.TYPE === 'Valid' ? status.daysLeft : 0);
  row('signature', signature.TYPE === 'Verified' ? `verified by ${signature.key}` : `NOT verified: ${signature.reason}`);
  // The signature row already gives the reason; the verdict need not repeat it.
  row('status', signature.TYPE === 'Verified' ? verdict(status, signature) : 'INVALID: not signed by a trusted key');
  return signature.TYPE === 'Verified' && status.TYPE === 'Valid' ? 0 : 1;
}

/** One line: "valid until …" or the problem; exit 0 only for a trusted licence valid now. */
async function verify(argv: readonly string[]): Promise<number> {
  const { file, keys } = await licenceArgs(argv);
  let inspection: LicenceInspection;
  try {
    inspection = await inspect(file, keys);
  } catch (err) {
    if (!(err instanceof TandemError || err instanceof CliFailure)) throw err;
    process.stdout.write(`${file}: INVALID: ${err.message}\n`);
    return 1;
  }
  const status = licenceStatusAt(inspection.licence, systemClock.now());
  process.stdout.write(`${file}: ${verdict(status, inspection.signature)}\n`);
  return inspection.signature.TYPE === 'Verified' && status.TYPE === 'Valid' ? 0 : 1;
}

async function issue(argv: readonly string[]): Promise<number> {
  const { values } = parse(argv, {
    'private-key': { type: 'string' },
    licensee: { type: 'string' },
    'valid-from': { type: 'string' },
    'valid-until': { type: 'string' },
    id: { type: 'string' },
    out: { type: 'string' },
  });
  const keyFile = required(values['private-key'], '--private-key');
  const licensee = required(values.licensee, '--licensee');
  const out = required(values.out, '--out');
  const validUntil = cliTime(required(values['valid-until'], '--valid-until'), '--valid-until');
  const now = systemClock.now();
  const validFrom = values['valid-from'] === undefined ? now : cliTime(values['valid-from'], '--valid-from');
  const text = issueLicence({
    privateKeyPem: await readText(keyFile, '--private-key'),
    id: values.id ?? randomUUID(),
    licensee,
    validFrom,
    validUntil,
    issuedAt: now,
  });
  await writeFile(out, text);
  process.stdout.write(`wrote ${resolve(out)}\n`);
  return 0;
}

async function keygen(argv: readonly string[]): Promise<number> {
  const { values } = parse(argv, { 'out-dir': { type: 'string' } });
  const dir = resolve(required(values['out-dir'], '--out-dir'));
  const keys = generateIssuerKeys();
  await mkdir(dir, { recursive: true });
  const keyFile = join(dir, 'licence-issuer.key');
  const pubFile = join(dir, 'licence-issuer.pub');
  // An existing issuer key may be the only copy; never overwrite it (nor leave a mismatched pair).
  const existing = [keyFile, pubFile].filter((f) => existsSync(f));
  if (existing.length > 0) throw new CliFailure(`refusing to overwrite ${existing.join(' and ')}`);
  await writeFile(keyFile, keys.privateKeyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(pubFile, keys.publicKeyPem, { mode: 0o644, flag: 'wx' });
  process.stdout.write(`wrote ${keyFile} (private, keep it secret) and ${pubFile}\n`);
  process.stdout.write('nodes trust licences it issues once the .pub is listed in js7.license.trusted-public-keys\n');
  return 0;
}

function verdict(status: LicenceStatus, signature: LicenceInspection['signature']): string {
  if (signature.TYPE === 'NotVerified') return `INVALID: ${signature.reason}`;
  switch (status.TYPE) {
    case 'Valid':
      return `valid until ${status.validUntil} (${status.daysLeft} days left)${status.warning === undefined ? '' : `; WARNING: ${status.warning}`}`;
    case 'Expired':
      return `EXPIRED on ${status.validUntil}`;
    case 'NotYetValid':
      return `NOT YET VALID: valid from ${status.validFrom}`;
    case 'Missing':
    case 'Invalid':
      return `INVALID: ${status.reason}`;
    default: {
      const never: never = status;
      throw new Error(`unexpected licence status ${JSON.stringify(never)}`);
    }
  }
}

async function licenceArgs(argv: readonly string[]): Promise<{ file: string; keys: string[] }> {
  const { values, positionals } = parse(argv, { 'trusted-key': { type: 'string', multiple: true } }, true);
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError('missing FILE');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra.join(' ')}`);
  const keys = await Promise.all((values['trusted-key'] ?? []).map((k) => readText(k, '--trusted-key')));
  return { file, keys };
}

async function inspect(file: string, keys: readonly string[]): Promise<LicenceInspection> {
  return inspectLicenceFile(await readText(file, 'licence file'), keys);
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<O extends Options>(argv: readonly string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (err) {
    // parseArgs throws TypeErrors for unknown flags, missing values and stray positionals.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`missing ${flag}`);
  return value;
}

/** `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:mm:ssZ`. */
function cliTime(text: string, flag: string): number {
  const ms = parseLicenceTimestamp(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (ms === undefined) throw new UsageError(`${flag}: expected YYYY-MM-DD or YYYY-MM-DDTHH:mm:ssZ, got ${JSON.stringify(text)}`);
  return ms;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CliFailure(`cannot read ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
