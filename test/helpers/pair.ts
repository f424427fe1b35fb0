import { mkdir, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { createTestPki, type TestPki } from './certificates.js';
import { makeNodeDirs, startTandem, stopTandem, type TandemProcess } from './tandem-process.js';
import { waitFor } from './wait.js';

export interface PairNode {
  readonly name: 'Primary' | 'Backup';
  readonly configDir: string;
  readonly dataDir: string;
  process: TandemProcess | undefined;
  /** e.g. https://127.0.0.1:40123 */
  uri: string;
}

export interface Pair {
  readonly pki: TestPki;
  readonly primary: PairNode;
  readonly backup: PairNode;
  readonly client: Agent;
  start(node: PairNode): Promise<void>;
  kill(node: PairNode, signal?: NodeJS.Signals): Promise<number | string>;
  call(node: PairNode, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** A GET whose answer is text (metrics). */
  text(node: PairNode, path: string): Promise<string>;
  appoint(): Promise<void>;
  waitForClusterState(node: PairNode, type: string, timeoutMs?: number): Promise<void>;
  cleanup(): Promise<void>;
}

const testUser = 'tester';
const testPassword = 'tester-password';

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

/** Two real `tandem start` processes on 127.0.0.1 with mutual TLS and generated certificates (not yet started). */
export async function createPair(options: { primaryConf?: string; backupConf?: string } = {}): Promise<Pair> {
  const pki = await createTestPki();
  const nodes: PairNode[] = [];
  const removals: (() => Promise<void>)[] = [];
  for (const name of ['Primary', 'Backup'] as const) {
    const conf = (name === 'Primary' ? options.primaryConf : options.backupConf) ?? pairConf(name);
    const dirs = await makeNodeDirs(conf);
    removals.push(dirs.cleanup);
    await mkdir(join(dirs.configDir, 'private'), { recursive: true });
    await copyFile(pki.node(name).certificateFile, join(dirs.configDir, 'private/https.crt'));
    await copyFile(pki.node(name).privateKeyFile, join(dirs.configDir, 'private/https.key'));
    await writeFile(join(dirs.configDir, 'private/ca.crt'), pki.ca.certificate);
    nodes.push({ name, configDir: dirs.configDir, dataDir: dirs.dataDir, process: undefined, uri: '' });
  }
  const [primary, backup] = nodes as [PairNode, PairNode];
  const client = new Agent({ connect: { ca: pki.ca.certificate } });
  const auth = `Basic ${Buffer.from(`${testUser}:${testPassword}`).toString('base64')}`;
  const pair: Pair = {
    pki,
    primary,
    backup,
    client,
    async start(node) {
      node.process = await startTandem(['--config-dir', node.configDir, '--data-dir', node.dataDir, '--https-port', node.uri === '' ? '0' : new URL(node.uri).port]);
      node.uri = new URL(node.process.api).origin;
    },
    async kill(node, signal = 'SIGKILL') {
      const p = node.process;
      node.process = undefined;
      return p === undefined ? 'not running' : stopTandem(p, signal);
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
    async text(node, path) {
      const res = await request(`${node.uri}/controller/api${path}`, { dispatcher: client, headers: { authorization: auth } });
      return res.body.text();
    },
    async appoint() {
      const r = await pair.call(primary, 'POST', '/command', {
        TYPE: 'ClusterAppointNodes',
        idToUri: { Primary: primary.uri, Backup: backup.uri },
        activeId: 'Primary',
      });
      if (r.status !== 200) throw new Error(`appoint failed: ${JSON.stringify(r.body)}`);
    },
    async waitForClusterState(node, type, timeoutMs = 20_000) {
      await waitFor(`${node.name} in cluster state ${type}`, async () => {
        const r = await pair.call(node, 'GET', '/cluster');
        return r.body['TYPE'] === type ? true : undefined;
      }, timeoutMs);
    },
    async cleanup() {
      for (const n of nodes) await pair.kill(n);
      await client.close();
      await pki.remove();
      for (const remove of removals) await remove();
    },
  };
  return pair;
}
