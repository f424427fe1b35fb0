import { z } from 'zod';
import { errorCodes, TandemError, toProblem, type ErrorCode } from '../../common/index.js';
import type { WireProblem } from './frame-codec.js';

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCodes, code);
}

/** The TandemError a peer's Problem stands for: the peer's code, message and arguments. */
export function errorFromProblem(problem: WireProblem, uri: string): TandemError {
  // A peer going down answers what is in flight with ShuttingDown; for its caller that peer is as gone as an unreachable one.
  if (problem.code === 'ShuttingDown') {
    return new TandemError('ClusterPeerUnreachable', `The peer ${uri} is shutting down.`, { uri, cause: 'ShuttingDown' });
  }
  if (!isErrorCode(problem.code)) {
    return new TandemError('InternalError', `The peer ${uri} failed with a code this node does not know: ${problem.code}.`, {
      uri,
      peerCode: problem.code,
    });
  }
  return new TandemError(problem.code, problem.message, { ...problem.arguments });
}

/** How a failure travels, so that both transports turn any thrown value into the same Problem. */
export function problemOf(err: unknown): WireProblem {
  return toProblem(err);
}

function causeCode(err: unknown): string {
  if (err instanceof Error) return 'code' in err && typeof err.code === 'string' ? err.code : err.name;
  return typeof err;
}

/** The peer could not be reached or the connection broke; `err` (if any) is kept as the cause. */
export function peerUnreachable(uri: string, why: string, err?: unknown): TandemError {
  const args = err === undefined ? { uri } : { uri, cause: causeCode(err) };
  return new TandemError('ClusterPeerUnreachable', `The peer ${uri} is unreachable: ${why}.`, args, { cause: err });
}

/** The error for a call on a transport that was closed. */
export function transportClosed(uri: string): TandemError {
  return new TandemError('ShuttingDown', `The transport to ${uri} is closed.`, { uri });
}

const answerSchema = z.record(z.string(), z.unknown());

/** A command's answer as received: a JSON object, or the peer broke the protocol. */
export function commandAnswer(json: unknown, uri: string): Readonly<Record<string, unknown>> {
  const parsed = answerSchema.safeParse(json);
  if (!parsed.success) throw peerUnreachable(uri, 'the answer to a command is not a JSON object');
  return parsed.data;
}
