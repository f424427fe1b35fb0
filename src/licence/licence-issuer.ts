import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { TandemError } from '../common/index.js';
import { LICENCE_PRODUCT, parseLicenceDocument } from './licence-document.js';
import { formatLicenceTimestamp } from './licence-timestamp.js';

/** What a licence says; times in milliseconds since 1970 (fractions of a second are dropped). */
export interface IssueLicenceOptions {
  /** The issuer's Ed25519 private key, PKCS#8 PEM. */
  readonly privateKeyPem: string;
  readonly id: string;
  readonly licensee: string;
  readonly validFrom: number;
  readonly validUntil: number;
  readonly issuedAt: number;
}

/** An Ed25519 issuer keypair as PEM texts. */
export interface IssuerKeys {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/** Signs a licence and returns the licence file's text; throws LicenceInvalid for a document no node would accept. */
export function issueLicence(options: IssueLicenceOptions): string {
  const document = JSON.stringify({
    id: options.id,
    licensee: options.licensee,
    product: LICENCE_PRODUCT,
    validFrom: formatLicenceTimestamp(options.validFrom),
    validUntil: formatLicenceTimestamp(options.validUntil),
    issuedAt: formatLicenceTimestamp(options.issuedAt),
  });
  // The reader's own schema, so the issuer cannot sign what a node would refuse.
  parseLicenceDocument(document);
  const signature = sign(null, Buffer.from(document, 'utf8'), issuerKey(options.privateKeyPem)).toString('base64');
  return `${JSON.stringify({ document, signature }, null, 2)}\n`;
}

/** A fresh issuer keypair: PKCS#8 PEM private key, SPKI PEM public key. */
export function generateIssuerKeys(): IssuerKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function issuerKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new TandemError('LicenceInvalid', `cannot issue: the issuer key is not a PEM private key (${err instanceof Error ? err.message : String(err)})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TandemError('LicenceInvalid', `cannot issue: the issuer key is an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  }
  return key;
}
