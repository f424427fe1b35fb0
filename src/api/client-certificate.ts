import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** The subject of a client certificate that the TLS layer verified against the trusted certificates. */
export interface VerifiedPeer {
  /** As in the certificate, one `KEY=value` per line (Node's `X509Certificate.subject`). */
  readonly subject: string;
}

/**
 * The verified client certificate on this connection, if any. The TLS layer is
 * set to ask for a certificate without rejecting a connection that lacks one (so a
 * browser still reaches the user routes); this is where "verified" is decided.
 */
export function verifiedPeer(socket: Socket): VerifiedPeer | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const cert = socket.getPeerX509Certificate();
  return cert === undefined ? undefined : { subject: cert.subject };
}

/**
 * A distinguished name as a sorted list of `KEY=value` parts, so that
 * `CN=a, O=b` (RFC 4514 order, as JS7 configurations write it) equals the
 * certificate's `O=b\nCN=a`.
 */
function canonicalParts(dn: string): string {
  return dn
    .split(/[,\n]/)
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? part.trim() : `${part.slice(0, eq).trim().toUpperCase()}=${part.slice(eq + 1).trim()}`;
    })
    .filter((part) => part.length > 0)
    .sort()
    .join('\n');
}

/** True when the two distinguished names name the same subject. */
export function sameDistinguishedName(a: string, b: string): boolean {
  return canonicalParts(a) === canonicalParts(b);
}
