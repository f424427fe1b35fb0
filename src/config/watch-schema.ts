import type { z } from 'zod';
import { booleanValue, filePath, list, optional, positiveDuration, section, text, uri, type SchemaContext } from './schema-kit.js';

/** The ids a watch may give itself: what the nodes accept in ClusterWatchAnswer. */
const WATCH_ID = /^[A-Za-z0-9._-]{1,100}$/;
const watchId = text((s) => (WATCH_ID.test(s) ? undefined : `expected 1–100 letters, digits, '.', '_' or '-', got ${JSON.stringify(s)}`));

/**
 * The cluster watch's configuration: the nodes it watches, the credentials it
 * logs in with, the heartbeat timing it shares with the nodes, and its TLS files.
 * Other keys are left to the controller's schema, so one file may serve both.
 */
export function watchConfigSchema(ctx: SchemaContext) {
  const node = section({ uri, user: text().optional(), password: text().optional() });
  const https = section(
    {
      certificate: filePath(ctx, true).optional(),
      'private-key': filePath(ctx, true).optional(),
      'trusted-certificates': list(filePath(ctx, true)).default([]),
      // Accepted so the controller's https block can be copied as is; a watch only makes requests.
      'client-authentication': booleanValue.optional(),
    },
    {
      check: (h, report) => {
        if ((h.certificate === undefined) !== (h['private-key'] === undefined)) {
          report(h.certificate === undefined ? 'certificate' : 'private-key', 'certificate and private-key go together: set both or neither');
        }
      },
    },
  );
  const tls = (h: z.output<typeof https>) => ({
    ...optional('certificate', h.certificate),
    ...optional('privateKey', h['private-key']),
    trustedCertificates: h['trusted-certificates'],
  });
  const watch = section({
    id: watchId.optional(),
    'cluster-nodes': list(node).default([]),
    // For nodes (from --node or cluster-nodes) that name no credentials of their own.
    user: text().optional(),
    password: text().optional(),
  });
  const cluster = section(
    {
      // The same keys, and they must have the same values, as on the nodes: the watch's watch-valid derives from them.
      heartbeat: positiveDuration.default(500),
      'heartbeat-timeout': positiveDuration.default(2500),
      watch,
    },
    {
      strict: false,
      check: (c, report) => {
        const { heartbeat, 'heartbeat-timeout': timeout } = c;
        if (heartbeat !== undefined && timeout !== undefined && timeout <= heartbeat) {
          report('heartbeat-timeout', `must be longer than heartbeat (${heartbeat} ms), got ${timeout} ms`);
        }
      },
    },
  );
  const js7 = section(
    {
      journal: section({ cluster }, { strict: false }),
      web: section({ https: https.optional() }, { strict: false }),
    },
    { strict: false },
  );
  return section({ js7 }, { strict: false }).transform(({ js7: c }) => {
    const w = c.journal.cluster.watch;
    return {
      ...optional('watchId', w.id),
      clusterNodes: w['cluster-nodes'].map((n) => ({ uri: n.uri, ...optional('user', n.user), ...optional('password', n.password) })),
      ...optional('user', w.user),
      ...optional('password', w.password),
      heartbeatMs: c.journal.cluster.heartbeat,
      heartbeatTimeoutMs: c.journal.cluster['heartbeat-timeout'],
      ...optional('https', c.web.https === undefined ? undefined : tls(c.web.https)),
    };
  });
}
