import { mkdir, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { createTestPki, type TestPki } from './certificates.js';
import { generateIssuerKeys, issueLicence } from '../../src/licence/index.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { makeNodeDirs, runCliToEnd, startTandem, startWatch, stopTandem, type TandemProcess } from './tandem-process.js';
import { waitFor } from './wait.js';

export interface PairNode {
  readonly name: 'Primary' | 'Backup';
  readonly configDir: string;
  readonly dataDir: string;
  process: TandemProcess | undefined;
  /** e.g. https://127.0.0.1:40123 */
  uri: string;
}

/** The `tandem watch` process of a pair. */
export interface WatchNode {
  readonly name: 'Watch';
  readonly configDir: string;
  readonly dataDir: string;
  process: TandemProcess | undefined;
}

/** What licence the pair's nodes get: signed by a throw-away issuer key that their config trusts. */
export type PairLicence = 'valid' | 'expired' | 'none';

export interface PairOptions {
  readonly primaryConf?: string;
  readonly backupConf?: string;
  /** Default 'valid'. */
  readonly licence?: PairLicence;
  /** Route node-to-node and watch-to-node traffic through TCP proxies (`pair.net`) the test can block. */
  readonly proxied?: boolean;
  /** 'fast' (default): heartbeat 250 ms, timeout 2 s, for quick tests; 'default': the product's defaults (benchmarks). */
  readonly timing?: 'fast' | 'default';
  /** Extra node flags per node process, e.g. `--cpu-prof` for a benchmark's profile. */
  readonly execArgv?: Partial<Record<'Primary' | 'Backup', readonly string[]>>;
  /** Another build's CLI entry point for all three processes (a benchmark's baseline); default this build's. */
  readonly cli?: string;
  /** How long a started process may take until it serves (default 30 s); the chaos suite allows more on a loaded machine. */
  readonly startTimeoutMs?: number;
}

/** The proxies between the processes of a proxied pair: `toPrimary` carries the backup's requests to the primary, and so on. */
export interface PairNet {
  readonly toPrimary: TcpProxy;
  readonly toBackup: TcpProxy;
  readonly watchToPrimary: TcpProxy;
  readonly watchToBackup: TcpProxy;
}

export interface Pair {
  readonly pki: TestPki;
  readonly primary: PairNode;
  readonly backup: PairNode;
  readonly watch: WatchNode;
  readonly client: Agent;
  /** Set once a proxied pair's nodes have started (by `couple()` or `startProxies()`). */
  readonly net: PairNet | undefined;
  /** Starts the proxies of a proxied pair (the nodes must be running: the proxies need their ports). */
  startProxies(): Promise<PairNet>;
  start(node: PairNode): Promise<void>;
  /** Starts the watch on both nodes' URIs (start the nodes first). */
  startWatch(): Promise<void>;
  kill(node: PairNode | WatchNode, signal?: NodeJS.Signals): Promise<number | string>;
  call(node: PairNode, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Runs `tandem cluster SUB --url <both nodes> …` as the test user; resolves with its exit code and output. */
  cli(sub: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** A GET whose answer is text (metrics). */
  text(node: PairNode, path: string): Promise<string>;
  appoint(): Promise<void>;
  /** Starts both nodes and the watch, appoints them, and waits until both say Coupled. */
  couple(): Promise<void>;
  waitForClusterState(node: PairNode, type: string, timeoutMs?: number): Promise<void>;
  cleanup(): Promise<void>;
}

export const testUser = 'tester';
export const testPassword = 'tester-password';

/** controller.conf of a pair node; `extra` is appended. */
export function pairConf(name: 'Primary' | 'Backup', extra = ''): string {
  return [
    'js7.controller.id = "pair"',
    `js7.journal.cluster.node.is-backup = ${name === 'Backup' ? 'yes' : 'no'}`,
    'js7.journal.cluster.heartbeat = 250ms',
    'js7.journal.cluster.heartbeat-timeout = 2s',
    'js7.web.https.certificate = "private/https.crt"',
    'js7.web.https.private-key = "private/https.key"',
    'js7.web.https.trusted-certificates = ["private/ca.crt"]',
    'js7.web.https.client-authentication = on',
    'js7.auth.cluster.password = "cluster-secret"',
    'js7.auth.users.pair = "plain:cluster-secret"',
    `js7.auth.users.${testUser} { password = "plain:${testPassword}", permissions = [SuperPermission] }`,
    extra,
  ].join('\n');
}

/** Drops the heartbeat settings, leaving the product's defaults. */
function withDefaultTiming(conf: string): string {
  return conf
    .split('\n')
    .filter((line) => !line.startsWith('js7.journal.cluster.heartbeat'))
    .join('\n');
}

/** watch.conf of the pair's watch: the nodes' timing, their cluster login, and a client certificate from the pair's CA. */
const watchConf = [
  'js7.journal.cluster.heartbeat = 250ms',
  'js7.journal.cluster.heartbeat-timeout = 2s',
  'js7.journal.cluster.watch.user = pair',
  'js7.journal.cluster.watch.password = "cluster-secret"',
  'js7.web.https.certificate = "private/https.crt"',
  'js7.web.https.private-key = "private/https.key"',
  'js7.web.https.trusted-certificates = ["private/ca.crt"]',
].join('\n');

const DAY_MS = 86_400_000;

/** private/private.conf and the files it names: a licence signed by a throw-away key that the node trusts. */
function licenceFiles(licence: PairLicence): Record<string, string> {
  if (licence === 'none') return {};
  const keys = generateIssuerKeys();
  const now = Date.now();
  const validUntil = licence === 'valid' ? now + 365 * DAY_MS : now - DAY_MS;
  const file = issueLicence({ privateKeyPem: keys.privateKeyPem, id: `test-${licence}`, licensee: 'Tandem tests', validFrom: now - 30 * DAY_MS, validUntil, issuedAt: now - 30 * DAY_MS });
  return {
    'private/licence.json': file,
    'private/licence-issuer.pem': keys.publicKeyPem,
    'private/private.conf': 'js7.license.file = "private/licence.json"\njs7.license.trusted-public-keys = ["private/licence-issuer.pem"]\n',
  };
}

/** With TANDEM_TEST_DUMP_LOGS=DIR, keeps what a stopped process wrote as DIR/<name>-<ms>.log (for hunting a failure). */
async function dumpLog(name: string, p: TandemProcess): Promise<void> {
  const dir = process.env['TANDEM_TEST_DUMP_LOGS'];
  if (dir !== undefined) await writeFile(join(dir, `${name}-${Date.now()}.log`), p.output());
}

/** Copies the certificate and key of `name` and the CA into `configDir/private`. */
async function installCertificates(pki: TestPki, name: string, configDir: string): Promise<void> {
  await mkdir(join(configDir, 'private'), { recursive: true });
  await copyFile(pki.node(name).certificateFile, join(configDir, 'private/https.crt'));
  await copyFile(pki.node(name).privateKeyFile, join(configDir, 'private/https.key'));
  await writeFile(join(configDir, 'private/ca.crt'), pki.ca.certificate);
}

/** Two real `tandem start` processes and a `tandem watch` on 127.0.0.1 with mutual TLS and generated certificates (not yet started). */
export async function createPair(options: PairOptions = {}): Promise<Pair> {
  const pki = await createTestPki({ nodes: ['Primary', 'Backup', 'Watch'] });
  const nodes: PairNode[] = [];
  const removals: (() => Promise<void>)[] = [];
  for (const name of ['Primary', 'Backup'] as const) {
    const given = (name === 'Primary' ? options.primaryConf : options.backupConf) ?? pairConf(name);
    const conf = options.timing === 'default' ? withDefaultTiming(given) : given;
    const dirs = await makeNodeDirs(conf, licenceFiles(options.licence ?? 'valid'));
    removals.push(dirs.cleanup);
    await installCertificates(pki, name, dirs.configDir);
    nodes.push({ name, configDir: dirs.configDir, dataDir: dirs.dataDir, process: undefined, uri: '' });
  }
  const [primary, backup] = nodes as [PairNode, PairNode];
  const watchDirs = await makeNodeDirs('', { 'watch.conf': options.timing === 'default' ? withDefaultTiming(watchConf) : watchConf });
  removals.push(watchDirs.cleanup);
  await installCertificates(pki, 'Watch', watchDirs.configDir);
  const watch: WatchNode = { name: 'Watch', configDir: watchDirs.configDir, dataDir: watchDirs.dataDir, process: undefined };
  const client = new Agent({ connect: { ca: pki.ca.certificate } });
  const launch = options.cli === undefined ? {} : { cli: options.cli };
  const auth = `Basic ${Buffer.from(`${testUser}:${testPassword}`).toString('base64')}`;
  let net: PairNet | undefined;
  const port = (node: PairNode): number => Number(new URL(node.uri).port);
  const via = (proxy: TcpProxy | undefined, node: PairNode): string => (proxy === undefined ? node.uri : `https://127.0.0.1:${proxy.port}`);
  const pair: Pair = {
    pki,
    primary,
    backup,
    watch,
    client,
    get net() {
      return net;
    },
    async startProxies() {
      if (primary.uri === '' || backup.uri === '') throw new Error('start both nodes before the proxies: they need the ports');
      net ??= {
        toPrimary: await startTcpProxy(port(primary)),
        toBackup: await startTcpProxy(port(backup)),
        watchToPrimary: await startTcpProxy(port(primary)),
        watchToBackup: await startTcpProxy(port(backup)),
      };
      return net;
    },
    async start(node) {
      const args = ['--config-dir', node.configDir, '--data-dir', node.dataDir, '--https-port', node.uri === '' ? '0' : new URL(node.uri).port];
      node.process = await startTandem(args, options.startTimeoutMs, { ...launch, execArgv: options.execArgv?.[node.name] ?? [] });
      node.uri = new URL(node.process.api).origin;
    },
    async startWatch() {
      if (primary.uri === '' || backup.uri === '') throw new Error('start both nodes before the watch: it needs their URIs');
      const uris = [via(net?.watchToPrimary, primary), via(net?.watchToBackup, backup)];
      watch.process = await startWatch(['--config-dir', watch.configDir, '--data-dir', watch.dataDir, '--node', uris[0]!, '--node', uris[1]!], options.startTimeoutMs, launch);
    },
    async kill(node, signal = 'SIGKILL') {
      const p = node.process;
      node.process = undefined;
      if (p === undefined) return 'not running';
      const code = await stopTandem(p, signal);
      await dumpLog(node.name, p);
      return code;
    },
    async call(node, method, path, body) {
      const res = await request(`${node.uri}/controller/api${path}`, {
        method,
        dispatcher: client,
        headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: JSON.parse(text) as Record<string, unknown> };
    },
    async cli(sub, ...args) {
      const caFile = join(primary.configDir, 'private/ca.crt');
      return runCliToEnd(['cluster', sub, '--url', primary.uri, '--url', backup.uri, '--user', testUser, '--ca', caFile, ...args], {
        ...process.env,
        TANDEM_PASSWORD: testPassword,
      });
    },
    async text(node, path) {
      const res = await request(`${node.uri}/controller/api${path}`, { dispatcher: client, headers: { authorization: auth } });
      return res.body.text();
    },
    async appoint() {
      const r = await pair.call(primary, 'POST', '/command', {
        TYPE: 'ClusterAppointNodes',
        idToUri: { Primary: via(net?.toPrimary, primary), Backup: via(net?.toBackup, backup) },
        activeId: 'Primary',
      });
      if (r.status !== 200) throw new Error(`appoint failed: ${JSON.stringify(r.body)}`);
    },
    async couple() {
      await pair.start(primary);
      await pair.start(backup);
      if (options.proxied === true) await pair.startProxies();
      await pair.startWatch();
      await pair.appoint();
      await pair.waitForClusterState(primary, 'Coupled');
      await pair.waitForClusterState(backup, 'Coupled');
    },
    async waitForClusterState(node, type, timeoutMs = 20_000) {
      await waitFor(`${node.name} in cluster state ${type}`, async () => {
        const r = await pair.call(node, 'GET', '/cluster');
        return r.body['TYPE'] === type ? true : undefined;
      }, timeoutMs);
    },
    async cleanup() {
      await pair.kill(watch);
      for (const n of nodes) await pair.kill(n);
      for (const proxy of Object.values(net ?? {})) await proxy.close();
      await client.close();
      await pki.remove();
      for (const remove of removals) await remove();
    },
  };
  return pair;
}
