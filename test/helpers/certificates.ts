import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthority, issueNodeCertificate, type CertificateFiles } from '../../src/pki/index.js';

/** A CA that issues test certificates. */
export interface TestAuthority {
  /** e.g. `O=Tandem Tests, CN=Tandem Test CA` */
  readonly subject: string;
  /** PEM text: what a node lists in `js7.web.https.trusted-certificates`. */
  readonly certificate: string;
  readonly certificateFile: string;
}

/** A node's (or client's) certificate and key, issued by a TestAuthority. */
export interface TestCertificate {
  readonly name: string;
  /** e.g. `O=Tandem Tests, CN=Primary` (usable in `distinguished-names`). */
  readonly subject: string;
  /** PEM text; SAN `IP:127.0.0.1`, `DNS:localhost`; good for server and client authentication. */
  readonly certificate: string;
  /** PKCS#8 PEM text (`-----BEGIN PRIVATE KEY-----`). */
  readonly privateKey: string;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
}

/** Throw-away certificates in a temp dir: a CA with its node certificates, and an unrelated rogue CA. */
export interface TestPki {
  /** The temp dir holding every file (removed by `remove()`). */
  readonly dir: string;
  /** The CA nodes trust. */
  readonly ca: TestAuthority;
  /** The certificate of each requested node, by name. */
  readonly nodes: Readonly<Record<string, TestCertificate>>;
  /** The node certificate called `name`; throws when it was not requested. */
  node(name: string): TestCertificate;
  /** A CA nobody trusts. */
  readonly rogueCa: TestAuthority;
  /** Issued by `rogueCa`, with the same subject as the first node: an impostor. */
  readonly rogue: TestCertificate;
  /** Deletes the temp dir. Idempotent. */
  remove(): Promise<void>;
}

export interface TestPkiOptions {
  /** Node certificates to issue, each with the name as CN (default `Primary`, `Backup`). */
  readonly nodes?: readonly string[];
  /** Days of validity from now (default 2). */
  readonly days?: number;
}

async function writeAuthority(dir: string, file: string, cn: string, days: number): Promise<TestAuthority & { readonly files: CertificateFiles }> {
  const files = createAuthority({ commonName: cn, organization: 'Tandem Tests', days });
  const certificateFile = join(dir, `${file}.crt`);
  await writeFile(certificateFile, files.certificatePem);
  await writeFile(join(dir, `${file}.key`), files.privateKeyPem, { mode: 0o600 });
  return { subject: `O=Tandem Tests, CN=${cn}`, certificate: files.certificatePem, certificateFile, files };
}

async function writeLeaf(dir: string, issuer: CertificateFiles, file: string, cn: string, days: number): Promise<TestCertificate> {
  const issued = issueNodeCertificate(issuer, { commonName: cn, organization: 'Tandem Tests', hosts: ['127.0.0.1', 'localhost'], days });
  const certificateFile = join(dir, `${file}.crt`);
  const privateKeyFile = join(dir, `${file}.key`);
  await writeFile(certificateFile, issued.certificatePem);
  await writeFile(privateKeyFile, issued.privateKeyPem, { mode: 0o600 });
  return { name: cn, subject: `O=Tandem Tests, CN=${cn}`, certificate: issued.certificatePem, privateKey: issued.privateKeyPem, certificateFile, privateKeyFile };
}

/** Generates a TestPki with the product's own certificate code (src/pki). Call `remove()` after the test. */
export async function createTestPki(options: TestPkiOptions = {}): Promise<TestPki> {
  const names = options.nodes ?? ['Primary', 'Backup'];
  const days = options.days ?? 2;
  const first = names[0];
  if (first === undefined) throw new Error('createTestPki: name at least one node');
  const dir = await mkdtemp(join(tmpdir(), 'tandem-pki-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const ca = await writeAuthority(dir, 'ca', 'Tandem Test CA', days);
    const rogueCa = await writeAuthority(dir, 'rogue-ca', 'Tandem Rogue CA', days);
    const rogue = await writeLeaf(dir, rogueCa.files, 'rogue', first, days);
    const nodes: Record<string, TestCertificate> = {};
    for (const [i, name] of names.entries()) nodes[name] = await writeLeaf(dir, ca.files, `node-${i}`, name, days);
    const strip = ({ subject, certificate, certificateFile }: TestAuthority): TestAuthority => ({ subject, certificate, certificateFile });
    return {
      dir,
      ca: strip(ca),
      nodes,
      node: (name) => {
        const c = nodes[name];
        if (c === undefined) throw new Error(`createTestPki: no certificate for ${name}; pass it in options.nodes`);
        return c;
      },
      rogueCa: strip(rogueCa),
      rogue,
      remove,
    };
  } catch (err) {
    await remove();
    throw err;
  }
}
