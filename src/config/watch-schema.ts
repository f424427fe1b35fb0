import type { z } from 'zod';
import { booleanValue, filePath, list, optional, section, text, uri, type SchemaContext } from './schema-kit.js';

/**
 * The cluster watch's configuration: the nodes it watches and its TLS files.
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
  const js7 = section(
    {
      journal: section({ cluster: section({ watch: section({ 'cluster-nodes': list(node).default([]) }) }, { strict: false }) }, { strict: false }),
      web: section({ https: https.optional() }, { strict: false }),
    },
    { strict: false },
  );
  return section({ js7 }, { strict: false }).transform(({ js7: c }) => ({
    clusterNodes: c.journal.cluster.watch['cluster-nodes'].map((n) => ({ uri: n.uri, ...optional('user', n.user), ...optional('password', n.password) })),
    ...optional('https', c.web.https === undefined ? undefined : tls(c.web.https)),
  }));
}
