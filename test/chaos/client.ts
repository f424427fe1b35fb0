import { setTimeout as delay } from 'node:timers/promises';
import { request } from 'undici';
import { jsonOrRaw } from '../helpers/http.js';
import { testPassword, testUser, type Pair, type PairNode } from '../helpers/pair.js';
import type { History, NodeName } from './history.js';
import type { Rng } from './prng.js';

const auth = `Basic ${Buffer.from(`${testUser}:${testPassword}`).toString('base64')}`;

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A call to a node's API that gives up after `timeoutMs` (a stopped or cut-off node never answers). */
export async function callNode(pair: Pair, node: PairNode, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number): Promise<Answer> {
  const res = await request(`${node.uri}/controller/api${path}`, {
    method,
    dispatcher: pair.client,
    signal: AbortSignal.timeout(timeoutMs),
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: jsonOrRaw(await res.body.text()) };
}

/** The workflows the clients' orders run: a restartable job and one that must never run twice. */
export const AGAIN_WORKFLOW = 'chaos/again';
export const ONCE_WORKFLOW = 'chaos/once';
export const ONCE_PREFIX = 'once-';
const AGAIN_PREFIX = 'again-';

export interface ClientOptions {
  readonly pair: Pair;
  readonly history: History;
  readonly rng: Rng;
  readonly index: number;
  readonly requestTimeoutMs: number;
  readonly stop: AbortSignal;
}

/**
 * One client: adds orders (to either workflow), cancels some it got acknowledged, and
 * sometimes repeats an AddOrder whose outcome it never learned (AddOrder is idempotent).
 * It sends to the node it believes active; a 503 or no answer makes it try the other.
 */
export async function runClient(o: ClientOptions): Promise<void> {
  const { pair, history, rng } = o;
  const nodes: Record<NodeName, PairNode> = { Primary: pair.primary, Backup: pair.backup };
  let target: NodeName = 'Primary';
  let n = 0;
  const acknowledged: string[] = [];
  const unknown: { id: string; path: string }[] = [];

  const send = async (op: 'AddOrder' | 'CancelOrders', orderId: string, workflowPath: string | undefined): Promise<number | undefined> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const node = target;
      const start = history.now();
      const command =
        op === 'AddOrder' ? { TYPE: 'AddOrder', order: { id: orderId, workflowPath, arguments: { id: orderId } } } : { TYPE: 'CancelOrders', orderIds: [orderId] };
      const base = { type: 'client' as const, client: o.index, node, op, orderId, ...(workflowPath === undefined ? {} : { workflowPath }), start };
      try {
        const r = await callNode(pair, nodes[node], 'POST', '/command', command, o.requestTimeoutMs);
        const code = typeof r.body['code'] === 'string' ? r.body['code'] : undefined;
        history.add({ ...base, end: history.now(), status: r.status, ...(code === undefined ? {} : { code }) });
        if (r.status !== 503) return r.status;
      } catch (err) {
        history.add({ ...base, end: history.now(), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      }
      // Refused as not active, or no answer: the other node may be the active one now.
      target = target === 'Primary' ? 'Backup' : 'Primary';
      if (o.stop.aborted) return undefined;
    }
    return undefined;
  };

  while (!o.stop.aborted) {
    // Every choice is drawn each round, so the stream of choices does not depend on the answers.
    const roll = rng.next();
    const once = rng.chance(0.5);
    const pickIndex = rng.next();
    const pause = rng.int(30, 200);
    const retry = unknown[Math.floor(pickIndex * unknown.length)];
    const cancel = acknowledged[Math.floor(pickIndex * acknowledged.length)];
    if (roll < 0.15 && cancel !== undefined) {
      await send('CancelOrders', cancel, undefined);
    } else if (roll < 0.25 && retry !== undefined) {
      const status = await send('AddOrder', retry.id, retry.path);
      if (status === 200) {
        acknowledged.push(retry.id);
        unknown.splice(unknown.indexOf(retry), 1);
      }
    } else {
      n += 1;
      const id = `${once ? ONCE_PREFIX : AGAIN_PREFIX}c${o.index}-${n}`;
      const path = once ? ONCE_WORKFLOW : AGAIN_WORKFLOW;
      const status = await send('AddOrder', id, path);
      if (status === 200) acknowledged.push(id);
      else unknown.push({ id, path });
    }
    await delay(pause, undefined, { signal: o.stop }).catch(() => undefined);
  }
}
