export { createAuthority, issueNodeCertificate, type CertificateFiles, type AuthorityOptions, type NodeCertificateOptions } from './certificates.js';
export { ensurePairCertificates, type PairCertificateFiles, type PairNodeRequest } from './pair-certificates.js';
