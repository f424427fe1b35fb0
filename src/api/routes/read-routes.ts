import { TandemError } from '../../common/index.js';
import { jobLogQuerySchema, parseInput, pathParamSchema } from '../input-schemas.js';
import { apiBase, authenticateEarly, requireUser, type App, type RouteContext } from '../route-context.js';

function param(params: unknown, name: string): string {
  const value = typeof params === 'object' && params !== null && Object.hasOwn(params, name) ? (params as Record<string, unknown>)[name] : undefined;
  return parseInput(pathParamSchema, value, `path parameter ${name}`);
}

/** The read-only views: overview, orders, job logs, workflows. */
export function registerReadRoutes(app: App, ctx: RouteContext): void {
  const onRequest = authenticateEarly(ctx);

  app.get(apiBase, { onRequest }, async (request) => {
    requireUser(ctx, request, 'ReadOnly');
    return ctx.controller.overview();
  });

  // `GET /cluster` is the cluster state; `?return=ClusterNodeState` this node's own view of it (JS7);
  // `?return=ClusterNodeStates` both nodes' views, the peer asked by this node (Tandem's, for the status page).
  app.get(`${apiBase}/cluster`, { onRequest }, async (request) => {
    requireUser(ctx, request, 'ReadOnly');
    const query = request.query as Record<string, unknown> | undefined;
    if (query?.['return'] === 'ClusterNodeStates') return ctx.controller.clusterNodeStates();
    return ctx.controller.clusterView(query?.['return'] === 'ClusterNodeState');
  });

  app.get(`${apiBase}/order`, { onRequest }, async (request) => {
    requireUser(ctx, request, 'ReadOnly');
    return { orders: ctx.controller.orders() };
  });

  app.get(`${apiBase}/order/:id`, { onRequest }, async (request) => {
    requireUser(ctx, request, 'ReadOnly');
    const orderId = param(request.params, 'id');
    const order = ctx.controller.order(orderId);
    if (order === undefined) throw new TandemError('UnknownOrder', `No order has the id ${orderId}.`, { orderId });
    return order;
  });

  app.get(`${apiBase}/order/:id/log`, { onRequest }, async (request) => {
    requireUser(ctx, request, 'ReadOnly');
    const orderId = param(request.params, 'id');
    const query = parseInput(jobLogQuerySchema, request.query, 'query');
    // Not checked against the state: an order deleted after its retention keeps its output (UnknownOrder comes from jobLog).
    const entries = await ctx.controller.jobLog(orderId, query.after, query.limit);
    return { orderId, entries };
  });

  app.get(`${apiBase}/workflow`, { onRequest }, async (request) => {
    requireUser(ctx, request, 'ReadOnly');
    return { workflows: ctx.controller.workflows() };
  });

  // Workflow paths contain slashes (`demo/hello`), hence the wildcard.
  app.get(`${apiBase}/workflow/*`, { onRequest }, async (request) => {
    requireUser(ctx, request, 'ReadOnly');
    const path = param(request.params, '*');
    const workflow = ctx.controller.workflow(path);
    if (workflow === undefined) throw new TandemError('UnknownWorkflow', `No workflow is deployed under ${path}.`, { path });
    return workflow;
  });
}
