import type { HealthReport } from '../controller-port.js';
import { apiBase, type App, type RouteContext } from '../route-context.js';

/**
 * `GET /controller/api/health/{live,ready,active}` for load balancers and
 * orchestrators: no login, a status code that says it all, reasons in the body.
 */
export function registerHealthRoutes(app: App, ctx: RouteContext): void {
  const answer = (report: HealthReport): { status: number; body: HealthReport } => ({
    status: report.ok ? 200 : 503,
    body: { ok: report.ok, reasons: report.reasons },
  });

  app.get(`${apiBase}/health/live`, async (_request, reply) => {
    const { status, body } = answer(ctx.controller.live());
    return reply.code(status).send(body);
  });

  app.get(`${apiBase}/health/ready`, async (_request, reply) => {
    const { status, body } = answer(ctx.controller.ready());
    return reply.code(status).send(body);
  });

  // For a load balancer that must send traffic to the active node only.
  app.get(`${apiBase}/health/active`, async (_request, reply) => {
    const ready = ctx.controller.ready();
    const isActive = ctx.controller.overview().isActive;
    const reasons = [...ready.reasons, ...(isActive ? [] : ['this node is not the active node'])];
    const { status, body } = answer({ ok: ready.ok && isActive, reasons });
    return reply.code(status).send(body);
  });
}
