/** Where the node-to-node calls live on a node, and what they answer with (docs/api.md, "Node to node"). */
export const peerRoutes = {
  journal: '/controller/api/journal',
  acks: '/controller/api/event',
  command: '/controller/api/cluster/command',
  watch: '/controller/api/cluster/clusterWatchMessage',
} as const;

/** Content-Type of the journal stream. */
export const JOURNAL_MEDIA_TYPE = 'application/x-tandem-journal';
/** Content-Type of the acknowledgement stream. */
export const ACK_MEDIA_TYPE = 'application/x-tandem-acks';

/** Content-Type of the stream a node serves its cluster watch. */
export const WATCH_MEDIA_TYPE = 'application/x-tandem-watch';

/** True when a Content-Type header names `mediaType` (parameters and case aside). */
export function isMediaType(header: string | readonly string[] | undefined, mediaType: string): boolean {
  const value = typeof header === 'string' ? header : header?.[0];
  return value !== undefined && value.split(';', 1)[0]?.trim().toLowerCase() === mediaType;
}
