import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAuthority, issueNodeCertificate, type CertificateFiles } from './certificates.js';

export interface PairNodeRequest {
  /** File stem and certificate CN, e.g. `primary`. */
  readonly name: string;
  readonly hosts: readonly string[];
}

/** Where the files are, and which of them this call wrote (the others existed and were kept). */
export interface PairCertificateFiles {
  readonly authorityCertificate: string;
  readonly authorityKey: string;
  readonly nodes: Readonly<Record<string, { readonly certificate: string; readonly privateKey: string }>>;
  readonly written: readonly string[];
}

const AUTHORITY_DAYS = 3650;

/**
 * Makes a certificate authority and one certificate per node in `dir`, keeping every
 * file that exists already: running it again changes nothing, and a node added later
 * is issued by the same authority. Private keys are written readable by the owner only.
 */
export async function ensurePairCertificates(
  dir: string,
  nodes: readonly PairNodeRequest[],
  options: { readonly days: number; readonly organization?: string },
): Promise<PairCertificateFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  const put = async (path: string, text: string, mode: number): Promise<void> => {
    // 'wx': never overwrite a file that appeared meanwhile.
    await writeFile(path, text, { flag: 'wx', mode });
    written.push(path);
  };
  const authorityCertificate = join(dir, 'ca.pem');
  const authorityKey = join(dir, 'ca.key');
  let authority: CertificateFiles;
  if (existsSync(authorityCertificate) && existsSync(authorityKey)) {
    authority = { certificatePem: await readFile(authorityCertificate, 'utf8'), privateKeyPem: await readFile(authorityKey, 'utf8') };
  } else if (existsSync(authorityCertificate) || existsSync(authorityKey)) {
    throw new Error(`${dir} has only one of ca.pem and ca.key: restore the other or remove both (then every node certificate must be issued again)`);
  } else {
    authority = createAuthority({ commonName: 'Tandem pair CA', ...(options.organization === undefined ? {} : { organization: options.organization }), days: AUTHORITY_DAYS });
    await put(authorityKey, authority.privateKeyPem, 0o600);
    await put(authorityCertificate, authority.certificatePem, 0o644);
  }
  const files: Record<string, { certificate: string; privateKey: string }> = {};
  for (const node of nodes) {
    const certificate = join(dir, `${node.name}.pem`);
    const privateKey = join(dir, `${node.name}.key`);
    files[node.name] = { certificate, privateKey };
    if (existsSync(certificate) && existsSync(privateKey)) continue;
    const issued = issueNodeCertificate(authority, {
      commonName: node.name,
      ...(options.organization === undefined ? {} : { organization: options.organization }),
      hosts: node.hosts,
      days: options.days,
    });
    if (!existsSync(privateKey)) await put(privateKey, issued.privateKeyPem, 0o600);
    else throw new Error(`${privateKey} exists without ${certificate}: remove it to issue a new pair of files`);
    await put(certificate, issued.certificatePem, 0o644);
  }
  return { authorityCertificate, authorityKey, nodes: files, written };
}
