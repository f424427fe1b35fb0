import type { IncomingHttpHeaders } from 'node:http';
import type * as http from 'node:http';
import type * as https from 'node:https';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { TandemError, type Clock, type Logger } from '../common/index.js';
import type { Authenticator, Caller } from './authenticator.js';
import { verifiedPeer } from './client-certificate.js';
import type { ControllerPort, UserContext } from './controller-port.js';
import type { HttpMetrics } from './http-metrics.js';
import type { OpenWaits } from './open-waits.js';
import { requirePermission, type Permission } from './permissions.js';
import type { SessionStore } from './session-store.js';

/** The fastify instance the routes are registered on, over plain HTTP or HTTPS. */
export type App = FastifyInstance<http.Server | https.Server>;

/** Where every route of the user API lives. */
export const apiBase = '/controller/api';

/** What the route modules share. */
export interface RouteContext {
  readonly controller: ControllerPort;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sessions: SessionStore;
  readonly authenticator: Authenticator;
  readonly waits: OpenWaits;
  readonly metrics: HttpMetrics;
  readonly sseKeepAliveMs: number;
}

interface RequestLike {
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
  readonly raw: object;
}

// The user found by the onRequest hook, so the handler does not check the password twice.
const usersByRequest = new WeakMap<object, UserContext>();

/** One header's value; a repeated header is joined, which no credential survives. */
export function headerText(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

/** The credentials a request offers. */
export function callerOf(request: RequestLike): Caller {
  return {
    sessionToken: headerText(request.headers['x-js7-session']),
    authorization: headerText(request.headers.authorization),
    remoteAddress: request.socket.remoteAddress,
    peer: verifiedPeer(request.socket),
  };
}

/**
 * An onRequest hook that authenticates before the body is read, so an unknown
 * caller cannot make the node parse a large body.
 */
export function authenticateEarly(ctx: RouteContext): (request: RequestLike) => Promise<void> {
  return async (request) => {
    usersByRequest.set(request.raw, ctx.authenticator.authenticate(callerOf(request)));
  };
}

/** The authenticated user, who must hold `permission` (undefined: any user). */
export function requireUser(ctx: RouteContext, request: RequestLike, permission: Permission | undefined): UserContext {
  const user = usersByRequest.get(request.raw) ?? ctx.authenticator.authenticate(callerOf(request));
  requirePermission(user, permission);
  return user;
}

/** The parsed JSON body of a POST; a POST without one is refused before anything else looks at it. */
export function requireBody(body: unknown): unknown {
  if (body === undefined) throw new TandemError('InvalidJson', 'The request has no body; a JSON object was expected.');
  return body;
}
