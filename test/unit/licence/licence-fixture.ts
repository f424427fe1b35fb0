import { sign } from 'node:crypto';
import { createLogger, type Logger } from '../../../src/common/index.js';
import { generateIssuerKeys, issueLicence, type IssueLicenceOptions, type IssuerKeys } from '../../../src/licence/index.js';

export const DAY = 24 * 3600 * 1000;
export const T0 = Date.UTC(2026, 0, 1);

/** One throw-away issuer for the whole file: key generation is the slow part. */
export const issuer: IssuerKeys = generateIssuerKeys();
export const stranger: IssuerKeys = generateIssuerKeys();

/** A licence file valid for a year from T0, signed by `issuer` unless told otherwise. */
export function licenceText(overrides: Partial<IssueLicenceOptions> = {}): string {
  return issueLicence({
    privateKeyPem: issuer.privateKeyPem,
    id: 'L-1',
    licensee: 'ACME Ltd',
    validFrom: T0,
    validUntil: T0 + 365 * DAY,
    issuedAt: T0 - DAY,
    ...overrides,
  });
}

/** The document a well-formed licence carries, as an object to spoil. */
export function documentFields(): Record<string, unknown> {
  return {
    id: 'L-2',
    licensee: 'ACME Ltd',
    product: 'js7.controller.cluster',
    validFrom: '2026-01-01T00:00:00Z',
    validUntil: '2027-01-01T00:00:00Z',
    issuedAt: '2025-12-31T00:00:00Z',
  };
}

/** A licence file around any document text, signed as the format says (independently of issueLicence). */
export function signedFile(document: string, privateKeyPem = issuer.privateKeyPem): string {
  const signature = sign(null, Buffer.from(document, 'utf8'), privateKeyPem).toString('base64');
  return JSON.stringify({ document, signature });
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** A logger whose lines the test can read (pino levels: 30 info, 40 warn, 50 error). */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) } });
  return { logger, lines };
}
