import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { TandemError } from '../common/index.js';
import type { ApiServer, ApiServerOptions } from './api-options.js';
import { Authenticator } from './authenticator.js';
import { HttpMetrics } from './http-metrics.js';
import { parseJsonBody } from './json-body.js';
import { OpenWaits } from './open-waits.js';
import { mapError } from './problem-mapping.js';
import type { App, RouteContext } from './route-context.js';
import { RouteCatalog } from './route-catalog.js';
import { ClusterRoutes } from './routes/cluster-routes.js';
import { registerCommandRoutes } from './routes/command-routes.js';
import { registerEventRoutes } from './routes/event-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerMetricsRoutes } from './routes/metrics-routes.js';
import { registerReadRoutes } from './routes/read-routes.js';
import { registerSessionRoutes } from './routes/session-routes.js';
import { registerStatusPage } from './routes/status-page-routes.js';
import { SessionStore } from './session-store.js';
import { loadStatusPage } from './status-page.js';

const defaultSessionIdleMs = 60 * 60 * 1000;
const defaultSseKeepAliveMs = 15_000;
// After this, close() cuts connections whose responses have not finished.
const closeGraceMs = 10_000;
// How long a too-large body is read and thrown away so that its sender gets the 413.
const drainTimeoutMs = 5_000;

/** Reads and discards the rest of a request body, up to `maxBytes` or `timeoutMs`, whichever comes first. */
async function discardBody(raw: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    let read = 0;
    const done = (): void => {
      clearTimeout(timer);
      raw.off('data', onData).off('end', done).off('error', done).off('close', done);
      raw.pause();
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      read += chunk.length;
      if (read > maxBytes) done();
    };
    const timer = setTimeout(done, timeoutMs);
    raw.on('data', onData).on('end', done).on('error', done).on('close', done);
    raw.resume();
  });
}

function buildFastify(options: ApiServerOptions): App {
  const common = {
    // Requests are logged by the hooks below with the logger we were given.
    logger: false,
    bodyLimit: options.maxBodyBytes,
    // Answered as a Problem by our own onRequest hook instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle' as const,
    // Order ids may be 200 characters, tripled when URL-encoded.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1_000 },
  };
  if (options.https === undefined) return Fastify(common);
  return Fastify({
    ...common,
    https: {
      cert: options.https.certificate,
      key: options.https.privateKey,
      // Always set, even empty: without it Node would trust the public CAs for client certificates.
      ca: [...options.https.trustedCertificates],
      requestCert: options.https.clientAuthentication,
      // A browser without a certificate must still reach the user routes; whether a
      // certificate was verified is read per request (see client-certificate.ts).
      rejectUnauthorized: false,
    },
  });
}

function baseUrl(options: ApiServerOptions, address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${options.https === undefined ? 'http' : 'https'}://${host}:${address.port}`;
}

/** Starts the REST API (DESIGN §8) and resolves once it listens. */
export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const logger = options.logger.child({ component: 'api' });
  const clock = options.clock;
  const sessions = new SessionStore(clock, options.sessionIdleMs ?? defaultSessionIdleMs);
  const ctx: RouteContext = {
    controller: options.controller,
    clock,
    logger,
    sessions,
    authenticator: new Authenticator(options.auth, sessions),
    waits: new OpenWaits(),
    metrics: new HttpMetrics(),
    sseKeepAliveMs: options.sseKeepAliveMs ?? defaultSseKeepAliveMs,
  };
  const statusPage = await loadStatusPage(options.statusPageDir);
  if (statusPage.TYPE === 'Missing') logger.warn({ dir: statusPage.dir, reason: statusPage.reason }, 'the status page files are missing; GET / says so');
  const catalog = new RouteCatalog();
  const startedAt = new WeakMap<object, number>();
  let closing = false;

  const app = buildFastify(options);
  app.addHook('onRoute', (route) => catalog.add(route.method, route.url));

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, async (_request: unknown, body: string) => parseJsonBody(body));

  app.addHook('onRequest', async (request) => {
    startedAt.set(request.raw, clock.monotonic());
    if (closing) throw new TandemError('ShuttingDown', 'The API server is closing.');
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    // Otherwise a keep-alive socket would outlive the answer and hold up close().
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const ms = clock.monotonic() - (startedAt.get(request.raw) ?? clock.monotonic());
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.observe(route, request.method, reply.statusCode, ms / 1000);
    if (logger.isLevelEnabled('debug')) {
      logger.debug({ method: request.method, url: request.url, status: reply.statusCode, ms }, 'request');
    }
  });

  app.setErrorHandler(async (err, request, reply) => {
    const { status, problem, level } = mapError(err);
    const detail = { code: problem.code, method: request.method, url: request.url };
    if (level === 'error') logger.error({ ...detail, err }, 'request failed');
    else logger[level](detail, problem.message);
    const withLimit = problem.code === 'PayloadTooLarge' ? { ...problem, arguments: { maxBodyBytes: options.maxBodyBytes } } : problem;
    if (problem.code === 'PayloadTooLarge' && !request.raw.complete) {
      // A client still writing would see EPIPE instead of the 413 if the socket closed under it.
      await discardBody(request.raw, 4 * options.maxBodyBytes, drainTimeoutMs);
      reply.header('connection', 'close');
    }
    return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(withLimit);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?', 1)[0] ?? request.url;
    const allowed = catalog.allowedMethods(path);
    if (allowed.length === 0) throw new TandemError('NotFound', `No route ${request.method} ${path}.`, { path });
    reply.header('allow', allowed.join(', '));
    throw new TandemError('MethodNotAllowed', `${path} does not accept ${request.method}; it accepts ${allowed.join(', ')}.`, {
      path,
      allowed,
    });
  });

  registerStatusPage(app, statusPage);
  registerSessionRoutes(app, ctx);
  registerCommandRoutes(app, ctx);
  registerReadRoutes(app, ctx);
  const cluster =
    options.cluster === undefined
      ? undefined
      : new ClusterRoutes(ctx, options.cluster, {
          https: options.https !== undefined,
          clientAuthentication: options.https?.clientAuthentication ?? false,
          public: options.auth.public,
        });
  registerEventRoutes(app, ctx, cluster);
  cluster?.register(app);
  registerHealthRoutes(app, ctx);
  registerMetricsRoutes(app, ctx);

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    // E.g. the port is taken: release what fastify built before reporting it.
    await app.close();
    throw err;
  }
  const url = baseUrl(options, app.server.address() as AddressInfo);

  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    closing = true;
    ctx.waits.abortAll();
    const grace = new AbortController();
    const cut = clock.sleep(closeGraceMs, grace.signal).then(
      () => {
        logger.warn({ graceMs: closeGraceMs }, 'responses still open after the grace period; cutting their connections');
        app.server.closeAllConnections();
      },
      () => undefined,
    );
    try {
      await app.close();
    } finally {
      grace.abort();
      await cut;
    }
  };
  return {
    url,
    close: () => (closed ??= close()),
  };
}
