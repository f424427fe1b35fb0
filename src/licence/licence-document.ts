import { z } from 'zod';
import { TandemError } from '../common/index.js';
import { parseLicenceTimestamp } from './licence-timestamp.js';

/** The one product a Tandem licence is for: the controller pair. */
export const LICENCE_PRODUCT = 'js7.controller.cluster';

const timestamp = z.string().transform((text, ctx): number => {
  const ms = parseLicenceTimestamp(text);
  if (ms !== undefined) return ms;
  ctx.addIssue({ code: 'custom', message: `expected YYYY-MM-DDTHH:mm:ssZ (UTC), got ${JSON.stringify(text)}` });
  return z.NEVER;
});

/** The signed licence document; timestamps come out as milliseconds since 1970. */
export const licenceDocumentSchema = z
  .strictObject({
    id: z.string().min(1).max(200),
    licensee: z.string().min(1),
    product: z.literal(LICENCE_PRODUCT, { error: (issue) => `expected "${LICENCE_PRODUCT}", got ${describeValue(issue.input)}` }),
    validFrom: timestamp,
    validUntil: timestamp,
    issuedAt: timestamp,
  })
  .refine((d) => d.validUntil > d.validFrom, { path: ['validUntil'], message: 'must be after validFrom' });

/** A licence whose document has been narrowed (its signature is checked separately). */
export type Licence = Readonly<z.output<typeof licenceDocumentSchema>>;

/** Narrows the document text, or throws LicenceInvalid naming each bad JSON path. */
export function parseLicenceDocument(text: string): Licence {
  return parseJsonWith(licenceDocumentSchema, text, 'the licence document');
}

/** JSON.parse then `schema`, with LicenceInvalid saying which of the two failed and where. */
export function parseJsonWith<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new TandemError('LicenceInvalid', `${what} is not JSON: ${detail}`, { problem: 'NotJson', detail });
  }
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map(describeIssue);
  throw new TandemError('LicenceInvalid', `${what} is malformed: ${problems.join('; ')}`, { problem: 'Malformed', problems });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = ['$', ...issue.path.map(String)].join('.');
  switch (issue.code) {
    case 'invalid_type':
      return `${path}: ${issue.input === undefined ? 'missing' : `expected ${issue.expected}, got ${describeValue(issue.input)}`}`;
    case 'unrecognized_keys':
      return `${path}: unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return `${path}: ${issue.message}`;
  }
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  return Array.isArray(v) ? 'a list' : 'an object';
}
