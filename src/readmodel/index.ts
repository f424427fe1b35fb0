/** Job logs and order history in level, derived from the journal. */
export { ReadModel } from './read-model.js';
export type { HistoryEntry, JobLogEntry, PageOptions, ReadModelOptions, StampedEvent } from './read-model.js';
