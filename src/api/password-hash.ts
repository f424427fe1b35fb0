import { createHash, timingSafeEqual } from 'node:crypto';

function sha512(text: string): Buffer {
  return createHash('sha512').update(text, 'utf8').digest();
}

// Compared against when the user is unknown or has no password, so that a wrong
// user id costs as long as a wrong password and does not reveal which ids exist.
const unmatchable = sha512('\u0000tandem: no such user\u0000');

/**
 * The digest a stored JS7 password entry stands for: `plain:<secret>` or
 * `sha512:<hex of sha512(secret)>`. Anything else (or a malformed hex) is
 * undefined: such an entry never matches.
 */
function storedDigest(stored: string): Buffer | undefined {
  if (stored.startsWith('plain:')) return sha512(stored.slice('plain:'.length));
  if (stored.startsWith('sha512:')) {
    const hex = stored.slice('sha512:'.length);
    if (!/^[0-9a-fA-F]{128}$/.test(hex)) return undefined;
    return Buffer.from(hex, 'hex');
  }
  return undefined;
}

/**
 * True when `given` matches the stored entry. Both sides are compared as
 * SHA-512 digests in constant time, so neither the secret's length nor its
 * first differing byte shows in the timing.
 */
export function passwordMatches(stored: string | undefined, given: string): boolean {
  const expected = stored === undefined ? undefined : storedDigest(stored);
  const actual = sha512(given);
  const equal = timingSafeEqual(expected ?? unmatchable, actual);
  return expected !== undefined && equal;
}

/** True when the entry is in a form `passwordMatches` understands (for config checks). */
export function isWellFormedPasswordEntry(stored: string): boolean {
  return storedDigest(stored) !== undefined;
}
