import { prometheusContentType } from '../../common/index.js';
import { apiBase, authenticateEarly, requireUser, type App, type RouteContext } from '../route-context.js';

/** `GET /metrics` and `GET /controller/api/metrics`: the controller's figures and the HTTP layer's, for Prometheus. */
export function registerMetricsRoutes(app: App, ctx: RouteContext): void {
  const onRequest = authenticateEarly(ctx);
  for (const url of ['/metrics', `${apiBase}/metrics`]) {
    app.get(url, { onRequest }, async (request, reply) => {
      requireUser(ctx, request, 'ReadOnly');
      const own = await ctx.controller.metricsText();
      const http = ctx.metrics.render({ openWaits: ctx.waits.size, sessions: ctx.sessions.size });
      const text = own.length === 0 || own.endsWith('\n') ? own + http : `${own}\n${http}`;
      return reply.header('content-type', prometheusContentType).send(text);
    });
  }
}
