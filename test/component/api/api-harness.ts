import { createHash } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Agent, request, type Dispatcher } from 'undici';
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../../src/api/index.js';
import { ManualClock, silentLogger } from '../../../src/common/index.js';
import { FakeController } from '../../helpers/fake-controller.js';

export const sha512Hex = (text: string): string => createHash('sha512').update(text, 'utf8').digest('hex');

/** Users of the API tests: one per permission shape. */
export const testUsers: ApiServerOptions['auth']['users'] = {
  demo: { password: 'plain:demo-secret', permissions: ['ReadOnly', 'ChangeOrder'], distinguishedNames: [] },
  admin: { password: `sha512:${sha512Hex('admin-secret')}`, permissions: ['SuperPermission'], distinguishedNames: [] },
  reader: { password: 'plain:reader-secret', permissions: ['ReadOnly'], distinguishedNames: [] },
  cockpit: { permissions: ['ReadOnly'], distinguishedNames: ['CN=cockpit, O=Tandem Tests'] },
};

export interface Harness {
  readonly server: ApiServer;
  readonly url: string;
  readonly fake: FakeController;
  readonly clock: ManualClock;
  readonly agent: Agent;
  /** A request through the harness's own agent (closed after the test). */
  call(path: string, options?: CallOptions): Promise<Answer>;
}

export interface CallOptions {
  readonly method?: Dispatcher.HttpMethod;
  readonly headers?: Record<string, string>;
  /** Sent as JSON with Content-Type application/json unless `rawBody` is given. */
  readonly json?: unknown;
  readonly rawBody?: string;
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: unknown;
}

/** Starts the real API server on 127.0.0.1:0 over a fake controller and a manual clock; all closed after the test. */
export async function startHarness(t: TestContext, overrides: Partial<ApiServerOptions> = {}): Promise<Harness> {
  const fake = new FakeController();
  const clock = new ManualClock();
  const server = await createApiServer({
    host: '127.0.0.1',
    port: 0,
    controller: fake,
    logger: silentLogger(),
    clock,
    version: '0.0.0-test',
    auth: { public: false, loopbackIsPublic: false, users: testUsers },
    maxBodyBytes: 4096,
    sseKeepAliveMs: 15_000,
    ...overrides,
  });
  const agent = new Agent();
  t.after(async () => {
    await server.close();
    await agent.close();
  });
  const call = async (path: string, options: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined = options.rawBody;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const res = await request(server.url + path, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body === undefined ? {} : { body }),
      dispatcher: agent,
    });
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, headers: res.headers, text, body: parsed };
  };
  return { server, url: server.url, fake, clock, agent, call };
}

/** `Authorization: Basic …` for a user and password. */
export function basic(userId: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${userId}:${password}`).toString('base64')}` };
}

/** Logs in and returns the headers that carry the session. */
export async function login(h: Harness, userId: string, password: string): Promise<Record<string, string>> {
  const answer = await h.call('/controller/api/session', { json: { TYPE: 'Login', userAndPassword: { userId, password } } });
  const body = answer.body as { TYPE?: string; sessionToken?: string } | undefined;
  if (answer.status !== 200 || body?.TYPE !== 'LoggedIn' || typeof body.sessionToken !== 'string') {
    throw new Error(`login failed: ${answer.status} ${answer.text}`);
  }
  return { 'x-js7-session': body.sessionToken };
}

/** The Problem code of an answer, or undefined when the answer is not a Problem. */
export function problemCode(answer: Answer): string | undefined {
  const b = answer.body as { TYPE?: unknown; code?: unknown } | undefined;
  return b?.TYPE === 'Problem' && typeof b.code === 'string' ? b.code : undefined;
}
