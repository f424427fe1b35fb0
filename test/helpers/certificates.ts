import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

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

/** True when the `openssl` command is installed (tests that need certificates skip otherwise). */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Written to the temp dir so the result does not depend on the system's openssl.cnf.
const opensslConfig = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[authority]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

// EC P-256: key generation takes milliseconds, where RSA takes a noticeable fraction of a second.
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function slashSubject(org: string, cn: string): string {
  return `/O=${org}/CN=${cn}`;
}

async function authority(dir: string, config: string, file: string, cn: string, days: number): Promise<TestAuthority & { readonly keyFile: string }> {
  const certificateFile = join(dir, `${file}.crt`);
  const keyFile = join(dir, `${file}.key`);
  await run('openssl', [
    'req', '-x509', '-config', config, '-extensions', 'authority', ...ecKey,
    '-keyout', keyFile, '-out', certificateFile, '-days', String(days), '-subj', slashSubject('Tandem Tests', cn),
  ]);
  return { subject: `O=Tandem Tests, CN=${cn}`, certificate: await readFile(certificateFile, 'utf8'), certificateFile, keyFile };
}

async function leaf(
  dir: string,
  config: string,
  issuer: { readonly certificateFile: string; readonly keyFile: string },
  file: string,
  cn: string,
  days: number,
): Promise<TestCertificate> {
  const certificateFile = join(dir, `${file}.crt`);
  const privateKeyFile = join(dir, `${file}.key`);
  await run('openssl', [
    'req', '-x509', '-config', config, '-extensions', 'leaf', '-CA', issuer.certificateFile, '-CAkey', issuer.keyFile, ...ecKey,
    '-keyout', privateKeyFile, '-out', certificateFile, '-days', String(days), '-subj', slashSubject('Tandem Tests', cn),
  ]);
  return {
    name: cn,
    subject: `O=Tandem Tests, CN=${cn}`,
    certificate: await readFile(certificateFile, 'utf8'),
    privateKey: await readFile(privateKeyFile, 'utf8'),
    certificateFile,
    privateKeyFile,
  };
}

/** Generates a TestPki with the `openssl` CLI (about 10 ms per certificate). Call `remove()` after the test. */
export async function createTestPki(options: TestPkiOptions = {}): Promise<TestPki> {
  const names = options.nodes ?? ['Primary', 'Backup'];
  const days = options.days ?? 2;
  const first = names[0];
  if (first === undefined) throw new Error('createTestPki: name at least one node');
  const dir = await mkdtemp(join(tmpdir(), 'tandem-pki-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const config = join(dir, 'openssl.cnf');
    await writeFile(config, opensslConfig);
    const [ca, rogueCa] = await Promise.all([
      authority(dir, config, 'ca', 'Tandem Test CA', days),
      authority(dir, config, 'rogue-ca', 'Tandem Rogue CA', days),
    ]);
    const [rogue, ...issued] = await Promise.all([
      leaf(dir, config, rogueCa, 'rogue', first, days),
      ...names.map((name, i) => leaf(dir, config, ca, `node-${i}`, name, days)),
    ]);
    if (rogue === undefined) throw new Error('createTestPki: no rogue certificate');
    const nodes: Record<string, TestCertificate> = {};
    for (const c of issued) nodes[c.name] = c;
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
