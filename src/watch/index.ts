/**
 * The cluster watch (DESIGN §5): the arbiter that lets at most one node act alone
 * in each epoch. Its rules are pure (watch-rules.ts); ClusterWatch feeds them the
 * nodes' watch streams and keeps their durable part in a state file.
 */
/** The watch: reads both nodes' streams, decides with the rules, persists before it answers. */
export { ClusterWatch, type ClusterWatchOptions, type ClusterWatchStatus, type WatchNode } from './cluster-watch.js';
/** The rules, pure: `stepWatch(state, input)` → next state and effects in order. */
export {
  initialWatchState,
  knownEpoch,
  stepWatch,
  type EndedHold,
  type Hold,
  type WatchCommand,
  type WatchEffect,
  type WatchInput,
  type WatchState,
  type WatchStep,
  type WatchTiming,
} from './watch-rules.js';
/** What the watch never forgets, and the schema its state file is read with. */
export { WATCH_ID, watchMemorySchema, type TaughtMemory, type WatchMemory } from './watch-memory.js';
/** `<data-dir>/watch-state.json`: atomic, durable writes; a damaged file is WatchStateCorrupt. */
export { WATCH_STATE_FILE_NAME, WatchStateFile } from './watch-state-file.js';
/** The two nodes and their credentials, from the configuration and the `--node` flags. */
export { DEFAULT_WATCH_USER, resolveWatchNodes } from './watch-nodes.js';
/** The watch process's composition root (real clock, HTTPS clients). */
export { startWatchProcess, type WatchProcessOptions } from './watch-process.js';
