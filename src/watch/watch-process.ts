import { readFile } from 'node:fs/promises';
import { clusterTiming, HttpsTransport, type PeerTlsOptions } from '../cluster/index.js';
import { systemClock, type Logger } from '../common/index.js';
import { loadWatchConfig, type WatchConfig } from '../config/index.js';
import { ClusterWatch } from './cluster-watch.js';
import { DEFAULT_WATCH_USER, resolveWatchNodes } from './watch-nodes.js';

export interface WatchProcessOptions {
  /** Holds watch.conf and private/private.conf. */
  readonly configDir: string;
  /** Holds watch-state.json. */
  readonly dataDir: string;
  /** `--node URL` flags, added to the configured cluster nodes. */
  readonly nodeFlags: readonly string[];
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** The watch cannot go on; the owner closes it and exits. */
  readonly onFatal: (err: unknown) => void;
}

/**
 * The watch process's composition root: loads the configuration, builds the real
 * clock and one HTTPS client per node, and opens the watch. Throws ConfigInvalid,
 * ConfigSyntax or WatchStateCorrupt before anything runs.
 */
export async function startWatchProcess(options: WatchProcessOptions): Promise<ClusterWatch> {
  const config = loadWatchConfig({ configDir: options.configDir, ...(options.env === undefined ? {} : { env: options.env }) });
  const nodes = resolveWatchNodes(config, options.nodeFlags);
  const timing = clusterTiming(config.heartbeatMs, config.heartbeatTimeoutMs);
  const tls = config.https === undefined ? undefined : await readTls(config.https);
  const logger = options.logger;
  for (const node of nodes) {
    if (node.password !== undefined) continue;
    logger.warn({ node: node.uri }, `no password for ${node.uri}: the calls carry no credentials, which only a development node with auth.public accepts`);
  }
  // A stream silent for this long is broken (heartbeats come every interval); the same bounds a command's answer.
  const idleTimeoutMs = 2 * config.heartbeatTimeoutMs;
  const watch = new ClusterWatch({
    nodes,
    dataDir: options.dataDir,
    timing,
    clock: systemClock,
    logger,
    ...(config.watchId === undefined ? {} : { watchId: config.watchId }),
    transport: (node) =>
      new HttpsTransport({
        controllerId: node.user ?? DEFAULT_WATCH_USER,
        ...(node.password === undefined ? {} : { clusterPassword: node.password }),
        ...(tls === undefined ? {} : { tls }),
        logger,
        idleTimeoutMs,
        connectTimeoutMs: idleTimeoutMs,
      }),
    onFatal: options.onFatal,
  });
  try {
    await watch.open();
  } catch (err) {
    await watch.close();
    throw err;
  }
  return watch;
}

async function readTls(https: NonNullable<WatchConfig['https']>): Promise<PeerTlsOptions> {
  const trustedCertificates = await Promise.all(https.trustedCertificates.map((path) => readFile(path, 'utf8')));
  return {
    trustedCertificates,
    ...(https.certificate === undefined ? {} : { certificate: await readFile(https.certificate, 'utf8') }),
    ...(https.privateKey === undefined ? {} : { privateKey: await readFile(https.privateKey, 'utf8') }),
  };
}
