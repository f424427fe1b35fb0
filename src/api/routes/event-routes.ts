import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { asksForAcks } from '../../cluster/transport/index.js';
import { TandemError, type EventId } from '../../common/index.js';
import { eventStreamFrames } from '../event-stream.js';
import { eventsBody, tornError } from '../event-views.js';
import { waitForEventOrTimeout } from '../event-wait.js';
import { eventQuerySchema, lastEventIdSchema, parseInput } from '../input-schemas.js';
import { apiBase, authenticateEarly, headerText, requireUser, type App, type RouteContext } from '../route-context.js';
import { noClusterRoutes, type ClusterRoutes } from './cluster-routes.js';

function wantsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && accept.toLowerCase().includes('text/event-stream');
}

function missingAfter(): TandemError {
  return new TandemError('InvalidRequest', 'Name the last EventId you have: ?after=<EventId> (0 for the start).', {
    path: '$.after',
    problem: 'missing',
  });
}

/**
 * `GET /controller/api/event`: a long-poll, or server-sent events with `Accept: text/event-stream`;
 * with `onlyAcks`, the node-to-node acknowledgement stream (JS7's URL), served by `cluster`.
 */
export function registerEventRoutes(app: App, ctx: RouteContext, cluster?: ClusterRoutes): void {
  const authenticateUser = authenticateEarly(ctx);
  const onRequest = async (request: FastifyRequest): Promise<void> => {
    if (!asksForAcks(request.query)) return authenticateUser(request);
    if (cluster === undefined) throw noClusterRoutes();
    return cluster.authenticate(request);
  };
  app.get(`${apiBase}/event`, { onRequest }, async (request, reply) => {
    if (asksForAcks(request.query)) {
      if (cluster === undefined) throw noClusterRoutes();
      return cluster.serveAcks(request, reply);
    }
    requireUser(ctx, request, 'ReadOnly');
    const query = parseInput(eventQuerySchema, request.query, 'query');

    if (wantsEventStream(headerText(request.headers.accept))) {
      // An EventSource that reconnects names where it stopped; that wins over the URL it reuses.
      const lastEventId = headerText(request.headers['last-event-id']);
      const after: EventId | undefined =
        lastEventId === undefined ? query.after : parseInput(lastEventIdSchema, lastEventId, 'Last-Event-ID header');
      if (after === undefined) throw missingAfter();
      const first = ctx.controller.readEvents(after, 1);
      // Refused while a proper status can still be sent; later tears end the stream with a problem frame.
      if (first.TYPE === 'Torn') throw tornError(first.after, first.oldestEventId);
      const signal = ctx.waits.track(reply.raw);
      const frames = eventStreamFrames({
        controller: ctx.controller,
        clock: ctx.clock,
        after,
        batch: query.limit,
        keepAliveMs: ctx.sseKeepAliveMs,
        signal,
        logger: ctx.logger,
      });
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-store')
        // A stream may end only when the server closes; the socket must go with it.
        .header('connection', 'close')
        .send(Readable.from(frames));
    }

    if (query.after === undefined) throw missingAfter();
    const after = query.after;
    let read = ctx.controller.readEvents(after, query.limit);
    if (read.TYPE === 'Empty' && query.timeout > 0) {
      await waitForEventOrTimeout(ctx.controller, ctx.clock, after, query.timeout * 1000, ctx.waits.track(reply.raw));
      read = ctx.controller.readEvents(after, query.limit);
    }
    return eventsBody(read);
  });
}
