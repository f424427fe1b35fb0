import { parseArgs } from 'node:util';
import { ensurePairCertificates, type PairNodeRequest } from '../pki/index.js';

const usage = `usage:
  tandem certificates --dir DIR --node NAME[=HOST,HOST…]… [--days N]
    Makes DIR/ca.pem + ca.key (a certificate authority) and, per node, DIR/NAME.pem + NAME.key
    (PKCS#8), good for server and client authentication on the given hosts (default
    localhost,127.0.0.1). Files that exist are kept: run it again to add a node.`;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function nodeRequest(spec: string): PairNodeRequest | string {
  const [name = '', hosts] = spec.split('=', 2);
  if (!NAME.test(name)) return `--node ${spec}: a name is letters, digits, - and _`;
  const list = hosts === undefined ? ['localhost', '127.0.0.1'] : hosts.split(',').map((h) => h.trim());
  if (list.some((h) => h === '' || !/^[A-Za-z0-9.:*-]+$/.test(h))) return `--node ${spec}: hosts are DNS names or IP addresses, separated by commas`;
  return { name, hosts: list };
}

/** `tandem certificates`: the HTTPS files of a pair, without openssl. */
export async function runCertificatesCommand(argv: readonly string[]): Promise<number> {
  let values: { dir?: string; node?: string[]; days?: string };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { dir: { type: 'string' }, node: { type: 'string', multiple: true }, days: { type: 'string' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`tandem certificates: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const days = Number(values.days ?? 825);
  const requests = (values.node ?? []).map(nodeRequest);
  const problems = [
    ...(values.dir === undefined ? ['--dir is missing'] : []),
    ...(requests.length === 0 ? ['name at least one --node'] : []),
    ...(Number.isInteger(days) && days > 0 ? [] : [`--days ${values.days ?? ''}: a whole number of days above 0`]),
    ...requests.filter((r): r is string => typeof r === 'string'),
  ];
  if (problems.length > 0 || values.dir === undefined) {
    process.stderr.write(`tandem certificates: ${problems.join('; ')}\n${usage}\n`);
    return 2;
  }
  try {
    const files = await ensurePairCertificates(values.dir, requests as PairNodeRequest[], { days });
    const kept = [files.authorityCertificate, ...Object.values(files.nodes).map((n) => n.certificate)].filter((f) => !files.written.includes(f));
    for (const f of files.written) process.stdout.write(`wrote ${f}\n`);
    for (const f of kept) process.stdout.write(`kept  ${f} (exists)\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`tandem certificates: ${(err as Error).message}\n`);
    return 1;
  }
}
