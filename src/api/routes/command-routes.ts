import { permissionForCommand } from '../permissions.js';
import { apiBase, authenticateEarly, requireBody, requireUser, type App, type RouteContext } from '../route-context.js';

/** `POST /controller/api/command`: every TYPE-tagged command goes to the controller, which validates it. */
export function registerCommandRoutes(app: App, ctx: RouteContext): void {
  app.post(`${apiBase}/command`, { onRequest: authenticateEarly(ctx) }, async (request) => {
    const body = requireBody(request.body);
    const user = requireUser(ctx, request, permissionForCommand(body));
    return ctx.controller.executeCommand(body, user);
  });
}
