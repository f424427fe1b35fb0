import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import {
  booleanValue,
  duration,
  durationAtLeast,
  filePath,
  list,
  optional,
  parseInto,
  positiveDuration,
  record,
  section,
  size,
  text,
  uri,
  type SchemaContext,
} from './schema-kit.js';

const MiB = 1024 * 1024;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PEM = '-----BEGIN ';

const controllerId = text((s) => (ID.test(s) ? undefined : `expected an id of letters, digits, '.', '_' and '-', got ${JSON.stringify(s)}`));

/** JS7 password notation: the hash scheme comes first. */
export const password = text((s) =>
  s.startsWith('sha512:') || s.startsWith('plain:') ? undefined : 'expected a password starting with sha512: or plain:',
);

const userObject = section({
  password: password.optional(),
  permissions: list(text()).default([]),
  'distinguished-names': list(text()).default([]),
}).transform((u) => ({ ...optional('password', u.password), permissions: u.permissions, distinguishedNames: u['distinguished-names'] }));

type User = z.output<typeof userObject>;

/** `js7.auth.users.<id>`: a password string, or an object with password, permissions and distinguished names. */
const user = z.unknown().transform((v, ctx): User => {
  if (typeof v === 'string') {
    const r = parseInto(password, v, ctx, []);
    return r.ok ? { password: r.value, permissions: [], distinguishedNames: [] } : z.NEVER;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    // Say what kind of value came, not the value: it may be a password.
    const kind = Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`;
    ctx.addIssue({ code: 'custom', message: `expected "sha512:…", "plain:…" or { password, permissions, distinguished-names }, got ${kind}` });
    return z.NEVER;
  }
  const r = parseInto(userObject, v, ctx, []);
  return r.ok ? r.value : z.NEVER;
});

/** A trusted licence key: PEM text as is, or a file (relative to the config dir) read now. */
function publicKey(ctx: SchemaContext) {
  return text().transform((s, zctx) => {
    if (s.includes(PEM)) return s;
    const full = isAbsolute(s) ? s : resolve(ctx.configDir, s);
    const pem = ctx.readFile(full);
    if (pem === undefined || !pem.includes(PEM)) {
      zctx.addIssue({ code: 'custom', message: pem === undefined ? `expected PEM text or a PEM file, file not found: ${full}` : `not a PEM file: ${full}` });
      return z.NEVER;
    }
    return pem;
  });
}

/** `js7.web.https`: certificate and key paths, relative to the config dir, that must exist. */
export function httpsSection(ctx: SchemaContext) {
  return section({
    certificate: filePath(ctx, true),
    'private-key': filePath(ctx, true),
    'trusted-certificates': list(filePath(ctx, true)).default([]),
    'client-authentication': booleanValue.default(true),
  }).transform((h) => ({
    certificate: h.certificate,
    privateKey: h['private-key'],
    trustedCertificates: h['trusted-certificates'],
    clientAuthentication: h['client-authentication'],
  }));
}

/**
 * The controller's configuration: JS7 keys in, Tandem's camelCase shape out.
 * Paths come out absolute; durations in ms, sizes in bytes.
 */
export function controllerConfigSchema(ctx: SchemaContext) {
  const cluster = section(
    {
      node: section({ 'is-backup': booleanValue.default(false) }),
      heartbeat: positiveDuration.default(500),
      'heartbeat-timeout': positiveDuration.default(2500),
      // How long a switchover waits for running jobs to end before it gives up.
      'switchover-job-timeout': positiveDuration.default(60_000),
      nodes: record(uri).optional(),
      watches: list(uri).optional(),
      // The watch's own keys (loadWatchConfig), allowed so one file can serve both.
      watch: z.unknown().optional(),
    },
    {
      check: (c, report) => {
        const { heartbeat, 'heartbeat-timeout': timeout } = c;
        if (heartbeat !== undefined && timeout !== undefined && timeout <= heartbeat) {
          report('heartbeat-timeout', `must be longer than heartbeat (${heartbeat} ms), got ${timeout} ms`);
        }
      },
    },
  );
  const js7 = section({
    // At least a minute: within it an AddOrder retried by a client is a duplicate, not a second run.
    controller: section({ id: controllerId.default('Controller'), 'order-retention': durationAtLeast(60_000, '1m').default(3_600_000) }),
    journal: section({
      sync: booleanValue.default(true),
      snapshot: section({ period: positiveDuration.default(3_600_000), 'when-bigger-than': size.default(64 * MiB) }),
      cluster,
    }),
    auth: section({ cluster: section({ password: text().optional() }), users: record(user).default({}) }),
    web: section({
      server: section({
        auth: section({ public: booleanValue.default(false), 'loopback-is-public': booleanValue.default(false) }),
        'max-request-body': size.default(MiB),
      }),
      https: httpsSection(ctx).optional(),
    }),
    job: section({ execution: section({ 'sigkill-delay': duration.default(15_000) }) }),
    license: section({ file: filePath(ctx, false).optional(), 'trusted-public-keys': list(publicKey(ctx)).default([]) }),
  }, { strict: 'typos' });
  return section({ js7 }, { strict: false }).transform(({ js7: c }) => ({
    controllerId: c.controller.id,
    /** How long a finished or cancelled order stays in the state before OrderDeleted. */
    orderRetentionMs: c.controller['order-retention'],
    journal: {
      sync: c.journal.sync,
      snapshotPeriodMs: c.journal.snapshot.period,
      snapshotSizeBytes: c.journal.snapshot['when-bigger-than'],
    },
    cluster: {
      isBackup: c.journal.cluster.node['is-backup'],
      heartbeatMs: c.journal.cluster.heartbeat,
      heartbeatTimeoutMs: c.journal.cluster['heartbeat-timeout'],
      switchoverJobTimeoutMs: c.journal.cluster['switchover-job-timeout'],
      ...optional('nodes', c.journal.cluster.nodes),
      ...optional('watches', c.journal.cluster.watches),
    },
    auth: { ...optional('clusterPassword', c.auth.cluster.password), users: c.auth.users },
    web: {
      authPublic: c.web.server.auth.public,
      loopbackIsPublic: c.web.server.auth['loopback-is-public'],
      maxBodyBytes: c.web.server['max-request-body'],
      ...optional('https', c.web.https),
    },
    job: { sigkillDelayMs: c.job.execution['sigkill-delay'] },
    license: { ...optional('file', c.license.file), trustedPublicKeys: c.license['trusted-public-keys'] },
  }));
}
