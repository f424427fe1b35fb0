/** The licence: an Ed25519-signed JSON document that gates automatic failover and switchover. */
export { LicenceGate, type LicenceGateOptions, type LicencePermission } from './licence-gate.js';
/** Reading a licence file: parse and insist on a trusted signature, or inspect without insisting. */
export { inspectLicenceFile, parseLicenceFile, type LicenceInspection, type SignatureCheck } from './licence-file.js';
/** The signed document's schema and its narrowed type. */
export { LICENCE_PRODUCT, licenceDocumentSchema, type Licence } from './licence-document.js';
/** Judging a licence at an instant. */
export { licenceStatusAt, WARNING_DAYS, type LicenceStatus } from './licence-status.js';
/** Issuing licences (the CLI and tests; nodes only read them). */
export { generateIssuerKeys, issueLicence, type IssueLicenceOptions, type IssuerKeys } from './licence-issuer.js';
/** The one timestamp form a licence uses: `YYYY-MM-DDTHH:mm:ssZ`. */
export { formatLicenceTimestamp, parseLicenceTimestamp } from './licence-timestamp.js';
/** The built-in vendor issuer key (public half only). */
export { VENDOR_PUBLIC_KEY_PEM } from './vendor-key.js';
