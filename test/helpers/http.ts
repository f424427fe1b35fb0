import { request, type Dispatcher } from 'undici';

export interface JsonResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A JSON call against a node's API; `body` is sent as given (a string is sent raw). */
export async function call(
  api: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  dispatcher?: Dispatcher,
): Promise<JsonResponse> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await request(`${api}${path}`, {
    method,
    ...(dispatcher === undefined ? {} : { dispatcher }),
    headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(payload === undefined ? {} : { body: payload }),
  });
  return { status: res.statusCode, body: jsonOrRaw(await res.body.text()) };
}

/** An answer's body as JSON, or `{ raw }` when it is not JSON (a proxy's error page, a cut-off body). */
export function jsonOrRaw(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { raw: text };
  }
}

/** POSTs a command and returns the answer. */
export function command(api: string, cmd: unknown): Promise<JsonResponse> {
  return call(api, 'POST', '/command', cmd);
}
