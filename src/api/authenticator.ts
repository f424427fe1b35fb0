import { TandemError } from '../common/index.js';
import type { ApiAuthOptions, ApiUser } from './api-options.js';
import { sameDistinguishedName, type VerifiedPeer } from './client-certificate.js';
import type { UserContext } from './controller-port.js';
import { passwordMatches } from './password-hash.js';
import type { SessionStore } from './session-store.js';

/** What a request offers to prove who sent it. */
export interface Caller {
  /** The `x-js7-session` header. */
  readonly sessionToken: string | undefined;
  /** The `Authorization` header. */
  readonly authorization: string | undefined;
  readonly remoteAddress: string | undefined;
  readonly peer: VerifiedPeer | undefined;
}

/** The user of `auth.public` and of loopback callers with `loopbackIsPublic` (JS7's name). */
export const anonymousUser: UserContext = { userId: 'Anonymous', permissions: new Set(['SuperPermission']) };

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * Decides who a caller is. Credentials that are offered are always checked, even
 * where anonymous access is allowed, so a client learns that its session expired
 * instead of silently acting as someone else. Order: session token, then HTTP
 * Basic, then a verified client certificate, then anonymous access.
 */
export class Authenticator {
  readonly #auth: ApiAuthOptions;
  readonly #sessions: SessionStore;
  readonly #contexts = new Map<string, UserContext>();

  constructor(auth: ApiAuthOptions, sessions: SessionStore) {
    this.#auth = auth;
    this.#sessions = sessions;
    for (const [userId, user] of Object.entries(auth.users)) {
      this.#contexts.set(userId, { userId, permissions: new Set(user.permissions) });
    }
  }

  /** The caller's user; throws `Unauthenticated` or `InvalidLogin`. */
  authenticate(caller: Caller): UserContext {
    if (caller.sessionToken !== undefined) {
      const user = this.#sessions.touch(caller.sessionToken);
      if (user === undefined) {
        throw new TandemError('Unauthenticated', 'The session is unknown or has expired; log in again.', { reason: 'session' });
      }
      return user;
    }
    if (caller.authorization !== undefined) return this.#basic(caller.authorization);
    return this.#withoutCredentials(caller);
  }

  /** The user a `Login` command logs in: by user id and password, or else as `authenticate` would without credentials. */
  login(caller: Caller, userAndPassword: { readonly userId: string; readonly password: string } | undefined): UserContext {
    if (userAndPassword !== undefined) return this.checkPassword(userAndPassword.userId, userAndPassword.password);
    if (caller.authorization !== undefined) return this.#basic(caller.authorization);
    return this.#withoutCredentials(caller);
  }

  /** The user if the password is right; throws `InvalidLogin` otherwise (same answer for an unknown user). */
  checkPassword(userId: string, password: string): UserContext {
    const user: ApiUser | undefined = Object.hasOwn(this.#auth.users, userId) ? this.#auth.users[userId] : undefined;
    const context = this.#contexts.get(userId);
    if (!passwordMatches(user?.password, password) || context === undefined) {
      throw new TandemError('InvalidLogin', 'User id or password is wrong.', { userId });
    }
    return context;
  }

  #basic(header: string): UserContext {
    const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    const decoded = match?.[1] === undefined ? undefined : Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded?.indexOf(':') ?? -1;
    if (decoded === undefined || colon < 0) {
      throw new TandemError('Unauthenticated', 'The Authorization header is not HTTP Basic user:password.', { reason: 'authorization' });
    }
    return this.checkPassword(decoded.slice(0, colon), decoded.slice(colon + 1));
  }

  #withoutCredentials(caller: Caller): UserContext {
    if (caller.peer !== undefined) {
      const user = this.#byDistinguishedName(caller.peer.subject);
      if (user !== undefined) return user;
    }
    if (this.#auth.public || (this.#auth.loopbackIsPublic && isLoopback(caller.remoteAddress))) return anonymousUser;
    throw new TandemError('Unauthenticated', 'Log in first (POST /controller/api/session) or send HTTP Basic credentials.', {
      reason: 'missing',
    });
  }

  #byDistinguishedName(subject: string): UserContext | undefined {
    for (const [userId, user] of Object.entries(this.#auth.users)) {
      if (user.distinguishedNames.some((dn) => sameDistinguishedName(dn, subject))) return this.#contexts.get(userId);
    }
    return undefined;
  }
}
