import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { VENDOR_PUBLIC_KEY_PEM } from './vendor-key.js';

/** A licence issuer's public key and the name messages use for it. */
export interface TrustedKey {
  readonly name: string;
  readonly key: KeyObject;
}

/** The keys a licence may be signed with, and why any configured key was left out. */
export interface TrustedKeys {
  readonly keys: readonly TrustedKey[];
  readonly problems: readonly string[];
}

const vendorKey: TrustedKey = { name: 'the vendor key', key: createPublicKey(VENDOR_PUBLIC_KEY_PEM) };

/**
 * The vendor key plus each of `pems` that is an Ed25519 public key. A bad configured key
 * is reported, not thrown: it must not make a licence signed by another key unusable.
 */
export function trustedKeys(pems: readonly string[]): TrustedKeys {
  const keys: TrustedKey[] = [vendorKey];
  const problems: string[] = [];
  pems.forEach((pem, i) => {
    const label = `trusted key #${i + 1}`;
    const key = toPublicKey(pem);
    if (typeof key === 'string') problems.push(`${label} ignored: ${key}`);
    else keys.push({ name: `${label} (${fingerprint(key)})`, key });
  });
  return { keys, problems };
}

/** The name of the first key whose signature over the UTF-8 bytes of `document` verifies, if any. */
export function verifyingKey(trusted: TrustedKeys, document: string, signature: Uint8Array): string | undefined {
  const data = Buffer.from(document, 'utf8');
  return trusted.keys.find((k) => verify(null, data, k.key, signature))?.name;
}

/** `sha256:` and the first 16 hex digits of the key's DER (SPKI) form, to tell keys apart in messages. */
export function fingerprint(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
}

function toPublicKey(pem: string): KeyObject | string {
  // createPublicKey would derive the public half from a private key; refuse instead,
  // so an issuer's private key is not left lying in a node's configuration.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return 'it is a private key; configure its public key (SPKI PEM) instead';
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    return `not a PEM public key (${err instanceof Error ? err.message : String(err)})`;
  }
  return key.asymmetricKeyType === 'ed25519' ? key : `it is an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`;
}
