/** Rejects when `promise` takes longer than `ms`: a bound on a wait, never a sleep. */
export async function within<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Splits a server-sent event body into frames (the text between blank lines). */
export class SseReader {
  readonly #chunks: AsyncIterator<Buffer | string>;
  #buffer = '';
  #ended = false;

  constructor(body: AsyncIterable<Buffer | string>) {
    this.#chunks = body[Symbol.asyncIterator]();
  }

  /** The next frame, or undefined when the stream ended; rejects after `ms`. */
  async next(ms = 5000): Promise<string | undefined> {
    return within(this.#next(), ms, 'the next event-stream frame');
  }

  async #next(): Promise<string | undefined> {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end >= 0) {
        const frame = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return frame;
      }
      if (this.#ended) return undefined;
      const chunk = await this.#chunks.next();
      if (chunk.done === true) this.#ended = true;
      else this.#buffer += typeof chunk.value === 'string' ? chunk.value : chunk.value.toString('utf8');
    }
  }
}

/** The `data:` of a frame parsed as JSON, and its `id:`. */
export function parseFrame(frame: string): { id: string | undefined; event: string | undefined; data: unknown } {
  let id: string | undefined;
  let event: string | undefined;
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return { id, event, data: data.length === 0 ? undefined : JSON.parse(data.join('\n')) };
}
