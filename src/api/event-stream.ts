import { toProblem, type Clock, type EventId, type Logger } from '../common/index.js';
import { assertNever } from './assert-never.js';
import type { ControllerPort } from './controller-port.js';
import { waitForEventOrTimeout } from './event-wait.js';
import { flattenStamped, tornError } from './event-views.js';

export interface EventStreamOptions {
  readonly controller: ControllerPort;
  readonly clock: Clock;
  /** Send events after this one. */
  readonly after: EventId;
  /** Events read per batch. */
  readonly batch: number;
  /** Idle time before a keep-alive comment, so proxies and readers see a live stream. */
  readonly keepAliveMs: number;
  /** Ends the stream: the client went away or the server closes. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/**
 * The frames of a server-sent event stream: each event as `id: <eventId>` plus
 * `data: <json>`, so a browser's EventSource resumes with `Last-Event-ID`; a
 * comment line when idle. Ends when the signal aborts, or after an `event:
 * problem` frame if the reader fell so far behind that events were dropped or
 * reading failed.
 */
export async function* eventStreamFrames(options: EventStreamOptions): AsyncGenerator<string, void, undefined> {
  // The first bytes send the headers, so the client knows at once the stream is open.
  yield ': tandem event stream\n\n';
  try {
    yield* frames(options);
  } catch (err) {
    // The status line is long gone, so the failure is told in the stream itself.
    options.logger.error({ err }, 'event stream failed');
    yield problemFrame(err);
  }
}

function problemFrame(err: unknown): string {
  return `event: problem\ndata: ${JSON.stringify(toProblem(err))}\n\n`;
}

async function* frames(options: EventStreamOptions): AsyncGenerator<string, void, undefined> {
  const { controller, clock, signal } = options;
  let after = options.after;
  while (!signal.aborted) {
    const read = controller.readEvents(after, options.batch);
    switch (read.TYPE) {
      case 'NonEmpty': {
        let text = '';
        for (const stamped of read.stamped) {
          text += `id: ${stamped.eventId}\ndata: ${JSON.stringify(flattenStamped(stamped))}\n\n`;
          after = stamped.eventId;
        }
        yield text;
        break;
      }
      case 'Empty':
        if ((await waitForEventOrTimeout(controller, clock, after, options.keepAliveMs, signal)) === 'timeout') {
          yield ': keep-alive\n\n';
        }
        break;
      case 'Torn':
        yield problemFrame(tornError(read.after, read.oldestEventId));
        return;
      default:
        assertNever(read);
    }
  }
}
