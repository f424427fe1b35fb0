import { TandemError } from '../../common/index.js';
import { assertNever } from '../assert-never.js';
import { parseInput, sessionCommandSchema } from '../input-schemas.js';
import { apiBase, callerOf, headerText, requireBody, type App, type RouteContext } from '../route-context.js';

function commandType(body: unknown): unknown {
  return typeof body === 'object' && body !== null && Object.hasOwn(body, 'TYPE') ? (body as { TYPE?: unknown }).TYPE : undefined;
}

/** `POST /controller/api/session`: `Login` and `Logout`, as in JS7. */
export function registerSessionRoutes(app: App, ctx: RouteContext): void {
  app.post(`${apiBase}/session`, async (request) => {
    const body = requireBody(request.body);
    const type = commandType(body);
    if (type !== 'Login' && type !== 'Logout') {
      throw new TandemError('UnknownCommand', 'A session command is Login or Logout.', { TYPE: typeof type === 'string' ? type : null });
    }
    const command = parseInput(sessionCommandSchema, body, 'session command');
    switch (command.TYPE) {
      case 'Login': {
        const user = ctx.authenticator.login(callerOf(request), command.userAndPassword);
        const sessionToken = ctx.sessions.create(user);
        ctx.logger.info({ userId: user.userId }, 'user logged in');
        return { TYPE: 'LoggedIn', sessionToken };
      }
      case 'Logout': {
        const token = command.sessionToken ?? headerText(request.headers['x-js7-session']);
        if (token === undefined) {
          throw new TandemError('InvalidRequest', 'Logout needs the session token (x-js7-session header or sessionToken).', {
            path: '$.sessionToken',
            problem: 'missing',
          });
        }
        // Ending an unknown or expired session is not an error: the caller wants it gone, and it is.
        ctx.sessions.delete(token);
        return { TYPE: 'Accepted' };
      }
      default:
        return assertNever(command);
    }
  });
}
