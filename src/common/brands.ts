declare const brand: unique symbol;

/** A nominal type: a `T` that only code naming `B` can create. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** `epochMillis × 1000 + counter`, strictly increasing, always ≤ 2^53. */
export type EventId = Brand<number, 'EventId'>;
/** Rises by one at every change of the active node; the fencing token. */
export type Epoch = Brand<number, 'Epoch'>;
/** A byte offset inside one journal file. */
export type JournalPosition = Brand<number, 'JournalPosition'>;
/** `Primary` or `Backup` (or any configured id). */
export type NodeId = Brand<string, 'NodeId'>;

export const asEventId = (n: number): EventId => n as EventId;
export const asEpoch = (n: number): Epoch => n as Epoch;
export const asJournalPosition = (n: number): JournalPosition => n as JournalPosition;
export const asNodeId = (s: string): NodeId => s as NodeId;
