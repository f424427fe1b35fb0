/**
 * The vendor's licence-issuer public key (Ed25519, SPKI PEM). Every node trusts it in
 * addition to `js7.license.trusted-public-keys`, so a vendor-issued licence works without
 * configuration. Only the public half exists in this repository: whoever holds the
 * private half can issue licences, so it must never be committed.
 */
export const VENDOR_PUBLIC_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAlRyx018kVhroSYSiM9wAQDoJJGq3aACRvovk0sirhv8=
-----END PUBLIC KEY-----
`;
