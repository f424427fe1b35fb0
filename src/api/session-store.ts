import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../common/index.js';
import type { UserContext } from './controller-port.js';

interface Session {
  readonly user: UserContext;
  lastUsed: number;
}

/** Tokens are looked up by their hash, so a map lookup's timing says nothing about a valid token. */
function tokenKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/**
 * Login sessions, in memory only: a restart or failover logs everybody out, as in
 * JS7. A session ends after `idleMs` without use (measured on the monotonic clock).
 */
export class SessionStore {
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #sessions = new Map<string, Session>();
  #lastSweep: number;

  constructor(clock: Clock, idleMs: number) {
    this.#clock = clock;
    this.#idleMs = idleMs;
    this.#lastSweep = clock.monotonic();
  }

  /** Starts a session and returns its token (256 random bits). */
  create(user: UserContext): string {
    this.#sweep();
    const token = randomBytes(32).toString('base64url');
    this.#sessions.set(tokenKey(token), { user, lastUsed: this.#clock.monotonic() });
    return token;
  }

  /** The session's user, refreshing its idle timer; undefined when unknown or expired. */
  touch(token: string): UserContext | undefined {
    const key = tokenKey(token);
    const session = this.#sessions.get(key);
    if (session === undefined) return undefined;
    const now = this.#clock.monotonic();
    if (now - session.lastUsed > this.#idleMs) {
      this.#sessions.delete(key);
      return undefined;
    }
    session.lastUsed = now;
    return session.user;
  }

  /** Ends the session; true when it existed. */
  delete(token: string): boolean {
    return this.#sessions.delete(tokenKey(token));
  }

  get size(): number {
    return this.#sessions.size;
  }

  // Expired sessions are also dropped on lookup; this bounds the memory of
  // sessions that are never used again. At most one pass per idle period.
  #sweep(): void {
    const now = this.#clock.monotonic();
    if (now - this.#lastSweep < this.#idleMs) return;
    this.#lastSweep = now;
    for (const [key, s] of this.#sessions) if (now - s.lastUsed > this.#idleMs) this.#sessions.delete(key);
  }
}
