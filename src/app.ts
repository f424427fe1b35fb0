import { readFile } from 'node:fs/promises';
import { asNodeId, createLogger, productVersion, systemClock, TandemError, type LogContext, type Logger } from './common/index.js';
import { loadControllerConfig, type ControllerConfig } from './config/index.js';
import { ClusterNode, claimDataDirectory, type StopReason } from './controller/index.js';
import { LicenceGate } from './licence/index.js';
import { createApiServer, type ControllerPort } from './api/index.js';
import { HttpsTransport, type ClusterEndpoint } from './cluster/index.js';
import { mkdir } from 'node:fs/promises';

export interface NodeOptions {
  readonly configDir: string;
  readonly dataDir: string;
  readonly host: string;
  readonly httpPort?: number;
  readonly httpsPort?: number;
  readonly logger?: Logger;
  /** The root logger's context: the node keeps its role and epoch in it, for every line. */
  readonly logContext?: LogContext;
  readonly env?: NodeJS.ProcessEnv;
  /** Called once when the node must stop on its own (ShutDown command or a fatal error). */
  readonly onStop: (reason: StopReason) => void;
}

/** The node in its role: the active controller or the passive backup. */
export type NodeRole = ControllerPort &
  ClusterEndpoint & { close(): Promise<void>; announceShutdown(): Promise<void>; clusterView(nodeState: boolean): Readonly<Record<string, unknown>> };

export interface RunningNode {
  readonly url: string;
  readonly controller: NodeRole;
  readonly config: ControllerConfig;
  close(): Promise<void>;
}

/**
 * The composition root: builds the real clock, logger, storage and HTTP server
 * and wires them into one controller node.
 */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const config = loadControllerConfig({ configDir: options.configDir, env: options.env ?? process.env });
  const nodeId = asNodeId(config.cluster.isBackup ? 'Backup' : 'Primary');
  const logger = (options.logger ?? createLogger()).child({ nodeId });
  const clock = systemClock;
  const version = productVersion();

  if (options.httpPort !== undefined && !config.web.authPublic) {
    throw new TandemError(
      'ConfigInvalid',
      'Plain HTTP is only for development setups with js7.web.server.auth.public = true; use --https-port with js7.web.https.* configured.',
      { errors: [{ file: 'command line', path: '--http-port', message: 'needs js7.web.server.auth.public = true' }] },
    );
  }
  if (options.httpsPort !== undefined && config.web.https === undefined) {
    throw new TandemError('ConfigInvalid', '--https-port needs js7.web.https.certificate and private-key in the configuration.', {
      errors: [{ file: 'command line', path: '--https-port', message: 'js7.web.https is not configured' }],
    });
  }

  const https = options.httpsPort !== undefined && config.web.https !== undefined ? await readHttps(config.web.https) : undefined;
  const transport = new HttpsTransport({
    controllerId: config.controllerId,
    ...(config.auth.clusterPassword === undefined ? {} : { clusterPassword: config.auth.clusterPassword }),
    ...(https === undefined
      ? {}
      : { tls: { trustedCertificates: https.trustedCertificates, certificate: https.certificate, privateKey: https.privateKey } }),
    logger,
  });
  await mkdir(options.dataDir, { recursive: true });
  await claimDataDirectory(options.dataDir, nodeId);
  // Until the node has read its journal, its role and epoch are not known yet.
  options.logContext?.follow(() => ({ role: 'starting', epoch: null }));
  const licence = await LicenceGate.load({
    ...(config.license.file === undefined ? {} : { file: config.license.file }),
    trustedPublicKeys: config.license.trustedPublicKeys,
    clock,
    logger,
  });
  let controller: NodeRole;
  try {
    controller = await ClusterNode.open({
      config,
      dataDir: options.dataDir,
      nodeId,
      version,
      clock,
      logger,
      onStop: options.onStop,
      transport,
      licence,
      ...(options.logContext === undefined ? {} : { logContext: options.logContext }),
    });
  } catch (err) {
    await transport.close();
    throw err;
  }
  try {
    if (https === undefined) logger.warn('serving plain HTTP without authentication: for development only');
    const server = await createApiServer({
      host: options.host,
      port: options.httpsPort ?? options.httpPort ?? 0,
      controller,
      logger,
      clock,
      version,
      auth: { public: config.web.authPublic, loopbackIsPublic: config.web.loopbackIsPublic, users: config.auth.users },
      maxBodyBytes: config.web.maxBodyBytes,
      ...(https === undefined ? {} : { https }),
      cluster: { endpoint: controller, controllerId: config.controllerId },
    });
    logger.info({ url: server.url, version }, 'controller is serving');
    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      controller,
      config,
      close: () => {
        closing ??= (async () => {
          // Planned: the passive must not fail over. A journal that cannot take the event is a fault already being reported.
          await controller.announceShutdown().catch((err: unknown) => logger.warn({ err }, 'could not journal the planned shutdown; the passive may fail over'));
          await server.close();
          await controller.close();
          await transport.close();
          logger.info('controller stopped');
        })();
        return closing;
      },
    };
  } catch (err) {
    await controller.close();
    await transport.close();
    throw err;
  }
}

async function readHttps(https: NonNullable<ControllerConfig['web']['https']>): Promise<{
  certificate: string;
  privateKey: string;
  trustedCertificates: string[];
  clientAuthentication: boolean;
}> {
  return {
    certificate: await readFile(https.certificate, 'utf8'),
    privateKey: await readFile(https.privateKey, 'utf8'),
    trustedCertificates: await Promise.all(https.trustedCertificates.map((p) => readFile(p, 'utf8'))),
    clientAuthentication: https.clientAuthentication,
  };
}
