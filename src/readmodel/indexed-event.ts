/** The events the read model indexes, narrowed to the fields it keeps. */
export type IndexedEvent =
  | { readonly TYPE: 'OrderStdWritten'; readonly orderId: string; readonly stream: 'stdout' | 'stderr'; readonly chunk: string }
  | { readonly TYPE: 'OrderAdded'; readonly orderId: string; readonly workflowPath: string }
  | { readonly TYPE: 'OrderFinished' | 'OrderFailed' | 'OrderCancelled'; readonly orderId: string; readonly outcome?: { readonly TYPE: string } };

type Fields = Readonly<Record<string, unknown>>;

const isString = (v: unknown): v is string => typeof v === 'string';

/** What each indexed TYPE must carry; the message says what is missing, for the log. */
const checks: Readonly<Record<string, (e: Fields) => string | undefined>> = {
  OrderStdWritten: (e) => (e['stream'] === 'stdout' || e['stream'] === 'stderr' ? (isString(e['chunk']) ? undefined : 'chunk: expected a string') : 'stream: expected stdout or stderr'),
  OrderAdded: (e) => (isString(e['workflowPath']) ? undefined : 'workflowPath: expected a string'),
  OrderFinished: terminal,
  OrderFailed: terminal,
  OrderCancelled: terminal,
};

function terminal(e: Fields): string | undefined {
  const outcome = e['outcome'];
  if (outcome === undefined) return undefined;
  return typeof outcome === 'object' && outcome !== null && isString((outcome as Fields)['TYPE']) ? undefined : 'outcome: expected an object with a TYPE';
}

/**
 * Narrows a committed event to one the read model indexes. Returns undefined for
 * every other event, and for an indexed TYPE whose shape is not as expected
 * (`problem` then says why, for the log). Checked by hand and returned as is: it
 * runs for every committed event, and a schema would copy each one.
 */
export function toIndexedEvent(event: unknown): { event?: IndexedEvent; problem?: string } {
  if (typeof event !== 'object' || event === null) return {};
  const e = event as Fields;
  const type = e['TYPE'];
  if (!isString(type) || !Object.hasOwn(checks, type)) return {};
  const problem = isString(e['orderId']) ? checks[type]!(e) : 'orderId: expected a string';
  return problem === undefined ? { event: event as IndexedEvent } : { problem };
}
