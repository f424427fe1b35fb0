import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, boolean, explicit, implicit, octetString, oid, sequence, set, smallInteger, time, unsignedInteger, utf8String } from './der.js';

/*
 * Certificates for a pair's HTTPS: a small certificate authority and the node
 * certificates it issues (ECDSA P-256, SHA-256), made with node:crypto alone so that
 * `npm start` and `tandem certificates` need no openssl on the machine.
 */

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const DAY_MS = 86_400_000;

/** PEM text of a certificate and its PKCS#8 private key. */
export interface CertificateFiles {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface AuthorityOptions {
  readonly commonName: string;
  readonly organization?: string;
  readonly days: number;
  readonly now?: Date;
}

export interface NodeCertificateOptions {
  readonly commonName: string;
  readonly organization?: string;
  /** DNS names and IP addresses the certificate is good for (its subjectAltName). */
  readonly hosts: readonly string[];
  readonly days: number;
  readonly now?: Date;
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function derOfPem(text: string): Buffer {
  return Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function name(commonName: string, organization: string | undefined): Buffer {
  const rdn = (type: string, value: string): Buffer => set(sequence(oid(type), utf8String(value)));
  return sequence(...(organization === undefined ? [] : [rdn('2.5.4.10', organization)]), rdn('2.5.4.3', commonName));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** The key identifier of RFC 5280 §4.2.1.2 (1): SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: Buffer): Buffer {
  // The SPKI of a P-256 key ends with the 65-byte uncompressed point inside its BIT STRING.
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
}

function generalName(host: string): Buffer {
  const family = isIP(host);
  if (family === 0) return implicit(2, Buffer.from(host, 'ascii'));
  if (family === 4) return implicit(7, Buffer.from(host.split('.').map(Number)));
  const [head = '', tail = ''] = host.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = [...groups(head), ...Array<string>(host.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  return implicit(7, Buffer.concat(all.map((g) => Buffer.from(g.padStart(4, '0'), 'hex'))));
}

interface Issue {
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly publicKey: KeyObject;
  readonly signingKey: KeyObject;
  readonly issuerKeyId: Buffer;
  readonly extensions: readonly Buffer[];
  readonly days: number;
  readonly now: Date;
}

function certificate(issue: Issue): Buffer {
  const spki = issue.publicKey.export({ type: 'spki', format: 'der' });
  const algorithm = sequence(oid(ECDSA_WITH_SHA256));
  // Backdated an hour so that a clock a little behind still accepts it.
  const notBefore = new Date(issue.now.getTime() - 3_600_000);
  const notAfter = new Date(issue.now.getTime() + issue.days * DAY_MS);
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(serial),
    algorithm,
    issue.issuer,
    sequence(time(notBefore), time(notAfter)),
    issue.subject,
    spki,
    explicit(
      3,
      sequence(
        ...issue.extensions,
        extension('2.5.29.14', false, octetString(keyIdentifier(spki))),
        extension('2.5.29.35', false, sequence(implicit(0, issue.issuerKeyId))),
      ),
    ),
  );
  return sequence(tbs, algorithm, bitString(sign('sha256', tbs, issue.signingKey)));
}

function newKey(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** A self-signed certificate authority: what every node lists as trusted. */
export function createAuthority(options: AuthorityOptions): CertificateFiles {
  const { publicKey, privateKey } = newKey();
  const subject = name(options.commonName, options.organization);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const der = certificate({
    subject,
    issuer: subject,
    publicKey,
    signingKey: privateKey,
    issuerKeyId: keyIdentifier(spki),
    days: options.days,
    now: options.now ?? new Date(),
    extensions: [
      extension('2.5.29.19', true, sequence(boolean(true), smallInteger(0))),
      // keyCertSign and cRLSign: bits 5 and 6.
      extension('2.5.29.15', true, bitString(Buffer.of(0x06), 1)),
    ],
  });
  return { certificatePem: pem('CERTIFICATE', der), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** A node certificate issued by `authority`, good for both ends of a TLS connection (server and client). */
export function issueNodeCertificate(authority: CertificateFiles, options: NodeCertificateOptions): CertificateFiles {
  if (options.hosts.length === 0) throw new Error('a node certificate needs at least one host name or address');
  const { publicKey, privateKey } = newKey();
  const authorityDer = derOfPem(authority.certificatePem);
  const authorityKey = createPrivateKey(authority.privateKeyPem);
  const der = certificate({
    subject: name(options.commonName, options.organization),
    issuer: issuerName(authorityDer),
    publicKey,
    signingKey: authorityKey,
    issuerKeyId: keyIdentifier(createPublicKey(authorityKey).export({ type: 'spki', format: 'der' })),
    days: options.days,
    now: options.now ?? new Date(),
    extensions: [
      extension('2.5.29.19', true, sequence()),
      // digitalSignature: bit 0.
      extension('2.5.29.15', true, bitString(Buffer.of(0x80), 7)),
      extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
      extension('2.5.29.17', false, sequence(...options.hosts.map(generalName))),
    ],
  });
  return { certificatePem: pem('CERTIFICATE', der), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** The subject Name of a DER certificate, as its encoded bytes (the issuer of what it signs). */
function issuerName(certificateDer: Buffer): Buffer {
  // Certificate → tbsCertificate → [version, serial, signature, issuer, validity, subject, …]
  const children = (der: Buffer, at: number): { start: number; end: number }[] => {
    const out: { start: number; end: number }[] = [];
    const { contentStart, end } = header(der, at);
    for (let p = contentStart; p < end; ) {
      const h = header(der, p);
      out.push({ start: p, end: h.end });
      p = h.end;
    }
    return out;
  };
  const tbs = children(certificateDer, 0)[0]!;
  const subject = children(certificateDer, tbs.start)[5]!;
  return certificateDer.subarray(subject.start, subject.end);
}

function header(der: Buffer, at: number): { contentStart: number; end: number } {
  const first = der[at + 1]!;
  if (first < 0x80) return { contentStart: at + 2, end: at + 2 + first };
  const count = first & 0x7f;
  let len = 0;
  for (let i = 0; i < count; i++) len = len * 256 + der[at + 2 + i]!;
  return { contentStart: at + 2 + count, end: at + 2 + count + len };
}
