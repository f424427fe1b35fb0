import { appendFile } from 'node:fs/promises';

/** The two controller nodes of a pair. */
export type NodeName = 'Primary' | 'Backup';

/** One client request and what came of it. Times are ms since the trial started. */
export interface ClientEntry {
  readonly type: 'client';
  readonly i: number;
  readonly client: number;
  readonly node: NodeName;
  readonly op: 'AddOrder' | 'CancelOrders';
  readonly orderId: string;
  readonly workflowPath?: string;
  readonly start: number;
  readonly end: number;
  /** The HTTP status, when there was an answer. */
  readonly status?: number;
  /** The Problem code of a refusal. */
  readonly code?: string;
  /** Why there was no answer (timeout, connection refused…): the outcome is unknown. */
  readonly error?: string;
}

/** One step of the nemesis: a fault applied or undone. */
export interface NemesisEntry {
  readonly type: 'nemesis';
  readonly i: number;
  readonly at: number;
  readonly fault: string;
  readonly phase: 'apply' | 'undo' | 'note';
  readonly detail: string;
}

export type HistoryEntry = ClientEntry | NemesisEntry;

/** The history of one trial, kept in memory and appended to a JSON-lines file as it happens. */
export class History {
  readonly entries: HistoryEntry[] = [];
  readonly #file: string | undefined;
  readonly #t0: number;
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string | undefined, t0 = performance.now()) {
    this.#file = file;
    this.#t0 = t0;
  }

  /** Milliseconds since the trial started. */
  now(): number {
    return Math.round(performance.now() - this.#t0);
  }

  add(entry: Omit<ClientEntry, 'i'> | Omit<NemesisEntry, 'i'>): void {
    const full = { ...entry, i: this.entries.length } as HistoryEntry;
    this.entries.push(full);
    const file = this.#file;
    // Written in order; a failed write is reported when the trial flushes.
    if (file !== undefined) this.#writing = this.#writing.then(() => appendFile(file, `${JSON.stringify(full)}\n`));
  }

  nemesis(fault: string, phase: NemesisEntry['phase'], detail = ''): void {
    this.add({ type: 'nemesis', at: this.now(), fault, phase, detail });
  }

  /** Waits until every entry is in the file. */
  async flush(): Promise<void> {
    await this.#writing;
  }
}
