import { z } from 'zod';
import { TandemError } from '../common/index.js';
import { parseJsonWith, parseLicenceDocument, type Licence } from './licence-document.js';
import { trustedKeys, verifyingKey } from './trusted-keys.js';

const ED25519_SIGNATURE_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

// The signature covers the document's exact text, which is why the document travels as
// a string: no canonical JSON form is needed to check it.
const licenceFileSchema = z.strictObject({
  document: z.string(),
  signature: z.string().transform((text, ctx): Buffer => {
    const bytes = BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
    if (bytes?.length === ED25519_SIGNATURE_BYTES) return bytes;
    ctx.addIssue({
      code: 'custom',
      message: `expected base64 of a ${ED25519_SIGNATURE_BYTES}-byte Ed25519 signature, got ${bytes === undefined ? 'no base64' : `${bytes.length} bytes`}`,
    });
    return z.NEVER;
  }),
});

/** Whether a trusted key signed the document. */
export type SignatureCheck = { readonly TYPE: 'Verified'; readonly key: string } | { readonly TYPE: 'NotVerified'; readonly reason: string };

/** A well-formed licence file, trusted or not (for `tandem license show`). */
export interface LicenceInspection {
  readonly licence: Licence;
  readonly signature: SignatureCheck;
}

/**
 * Reads a licence file without insisting on its signature; throws LicenceInvalid only
 * when the file or its document is malformed.
 */
export function inspectLicenceFile(text: string, trustedPublicKeys: readonly string[]): LicenceInspection {
  const file = parseJsonWith(licenceFileSchema, text, 'the licence file');
  const licence = parseLicenceDocument(file.document);
  const trusted = trustedKeys(trustedPublicKeys);
  const key = verifyingKey(trusted, file.document, file.signature);
  if (key !== undefined) return { licence, signature: { TYPE: 'Verified', key } };
  const configured = trustedPublicKeys.length - trusted.problems.length;
  const reason = [
    `the signature does not verify against any trusted key (the vendor key and ${configured} configured key${configured === 1 ? '' : 's'})`,
    ...trusted.problems,
  ].join('; ');
  return { licence, signature: { TYPE: 'NotVerified', reason } };
}

/** The licence in `text` when it is well formed and signed by a trusted key (or the vendor key); else throws LicenceInvalid. */
export function parseLicenceFile(text: string, trustedPublicKeys: readonly string[]): Licence {
  const { licence, signature } = inspectLicenceFile(text, trustedPublicKeys);
  if (signature.TYPE === 'Verified') return licence;
  throw new TandemError('LicenceInvalid', `the licence ${licence.id} is not trusted: ${signature.reason}`, {
    problem: 'SignatureNotVerified',
    licenceId: licence.id,
  });
}
