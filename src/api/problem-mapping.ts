import { TandemError, toProblem, type ErrorCode, type Problem } from '../common/index.js';

/** How loudly a failed call is logged. */
export type ProblemLogLevel = 'debug' | 'warn' | 'error';

export interface MappedProblem {
  readonly status: number;
  readonly problem: Problem;
  readonly level: ProblemLogLevel;
}

/** fastify's own error codes (body parsing, URL decoding) and what a client sees instead. */
const fastifyCodes: ReadonlyMap<string, { code: ErrorCode; message: string }> = new Map([
  ['FST_ERR_CTP_BODY_TOO_LARGE', { code: 'PayloadTooLarge', message: 'The request body is larger than this node accepts.' }],
  ['FST_ERR_CTP_INVALID_MEDIA_TYPE', { code: 'UnsupportedMediaType', message: 'Send the body as Content-Type: application/json.' }],
  ['FST_ERR_CTP_INVALID_TYPE', { code: 'UnsupportedMediaType', message: 'Send the body as Content-Type: application/json.' }],
  ['FST_ERR_CTP_EMPTY_TYPE', { code: 'UnsupportedMediaType', message: 'Send the body as Content-Type: application/json.' }],
  ['FST_ERR_CTP_EMPTY_JSON_BODY', { code: 'InvalidJson', message: 'The request body is empty; a JSON value was expected.' }],
  ['FST_ERR_CTP_INVALID_JSON_BODY', { code: 'InvalidJson', message: 'The request body is not valid JSON.' }],
  ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', { code: 'InvalidRequest', message: 'Content-Length does not match the body.' }],
  ['FST_ERR_BAD_URL', { code: 'InvalidRequest', message: 'The URL is not well formed.' }],
] as const);

function fastifyErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

function fastifyStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('statusCode' in err)) return undefined;
  return typeof err.statusCode === 'number' ? err.statusCode : undefined;
}

function levelFor(code: ErrorCode, status: number): ProblemLogLevel {
  // 503 is a state the node is in (not active, no watch yet, not ready): its message says it all, no stack.
  if (status === 503) return 'warn';
  if (status >= 500) return 'error';
  // Routine for clients (an expired session, a typo in a URL): not worth a warning each.
  if (code === 'Unauthenticated' || code === 'NotFound' || code === 'MethodNotAllowed' || code === 'UnknownOrder' || code === 'UnknownWorkflow') {
    return 'debug';
  }
  return 'warn';
}

function mapped(err: TandemError): MappedProblem {
  return { status: err.status, problem: toProblem(err), level: levelFor(err.code, err.status) };
}

/**
 * The Problem a failed call answers with. TandemErrors keep their code; fastify's
 * own errors are translated to registry codes; anything else is an InternalError
 * whose details stay in the log.
 */
export function mapError(err: unknown): MappedProblem {
  if (err instanceof TandemError) return mapped(err);
  const fastifyCode = fastifyErrorCode(err);
  const known = fastifyCode === undefined ? undefined : fastifyCodes.get(fastifyCode);
  if (known !== undefined) return mapped(new TandemError(known.code, known.message));
  const status = fastifyStatus(err);
  // Other client-side failures fastify detects (e.g. a request aborted mid-body).
  if (status !== undefined && status >= 400 && status < 500) {
    return mapped(new TandemError('InvalidRequest', 'The request could not be read.', { status }));
  }
  return { status: 500, problem: toProblem(err), level: 'error' };
}
