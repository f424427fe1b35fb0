import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { reportError } from './report-error.js';

const usage = `usage:
  tandem cluster status       --url URL [--url URL] [options]     both nodes' view of the pair
  tandem cluster appoint      --url URL [--url URL] [--primary-uri URI] [--backup-uri URI] [options]
                              register the pair with the Primary (ClusterAppointNodes); each node's URI
                              defaults to the --url it answers at as Primary or Backup
  tandem cluster switchover   --url URL [--url URL] [options]     hand the active role to the passive node
  tandem cluster confirm-loss --url URL [--url URL] --lost NODE_ID [options]
                              stand in for the watch once: NODE_ID is gone for sure (the other node fails over)
  tandem cluster shutdown     --url URL [--url URL] [options]     stop the active node (no failover follows)
options:
  --user NAME            user to log in as (default: $TANDEM_USER); the password comes from
                         $TANDEM_PASSWORD or --password-file FILE, never from the command line
  --ca FILE              PEM certificate(s) to trust for the nodes' HTTPS (default: the system's)
  --cert FILE --key FILE client certificate and PKCS#8 key, for nodes that ask for one
  --json                 print the nodes' answers as JSON`;

class UsageError extends Error {}

interface NodeAnswer {
  readonly url: string;
  readonly status: number;
  readonly body: Record<string, unknown>;
}

interface Client {
  call(url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<NodeAnswer>;
  close(): Promise<void>;
}

/** `tandem cluster status|appoint|switchover|confirm-loss|shutdown`: talks to a running pair, finding the active node by asking each URL. */
export async function runClusterCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  let client: Client | undefined;
  try {
    const options = parseOptions(rest);
    client = await connect(options);
    switch (sub) {
      case 'status':
        return await status(client, options);
      case 'appoint':
        return await appoint(client, options);
      case 'switchover':
        return await toActive(client, options, { TYPE: 'ClusterSwitchOver' }, 'switchover started: the other node becomes active');
      case 'shutdown':
        return await toActive(client, options, { TYPE: 'ShutDown' }, 'the active node shuts down');
      case 'confirm-loss':
        return await confirmLoss(client, options);
      default:
        throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand ${sub}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tandem cluster: ${err.message}\n${usage}\n`);
      return 2;
    }
    reportError(err);
    return 1;
  } finally {
    await client?.close();
  }
}

type Options = ReturnType<typeof parseOptions>;

function parseOptions(argv: readonly string[]) {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string', multiple: true, default: [] },
        lost: { type: 'string' },
        'primary-uri': { type: 'string' },
        'backup-uri': { type: 'string' },
        user: { type: 'string' },
        'password-file': { type: 'string' },
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.url.length === 0) throw new UsageError('name at least one node with --url');
  for (const url of values.url) {
    if (!/^https?:\/\/[^/]+\/?$/.test(url)) throw new UsageError(`--url ${url}: expected https://host:port`);
  }
  for (const uri of [values['primary-uri'], values['backup-uri']]) {
    if (uri !== undefined && !/^https?:\/\/[^/]+\/?$/.test(uri)) throw new UsageError(`${uri}: expected https://host:port`);
  }
  if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError('--cert and --key go together');
  return { ...values, urls: values.url.map((u) => u.replace(/\/$/, '')) };
}

async function connect(options: Options): Promise<Client> {
  const read = (file: string | undefined): Promise<string | undefined> => (file === undefined ? Promise.resolve(undefined) : readFile(file, 'utf8'));
  const [ca, cert, key, passwordFile] = await Promise.all([read(options.ca), read(options.cert), read(options.key), read(options['password-file'])]);
  const user = options.user ?? process.env['TANDEM_USER'];
  const password = passwordFile?.trim() ?? process.env['TANDEM_PASSWORD'];
  const authorization = user === undefined ? undefined : `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
  const agent = new Agent({ connect: { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert, key }) }, connectTimeout: 5_000 });
  return {
    async call(url, method, path, body) {
      const res = await request(`${url}/controller/api${path}`, {
        method,
        dispatcher: agent,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
        headers: {
          accept: 'application/json',
          ...(authorization === undefined ? {} : { authorization }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = { TYPE: 'Problem', code: 'NotJson', message: text.slice(0, 200) };
      }
      return { url, status: res.statusCode, body: parsed };
    },
    close: () => agent.close(),
  };
}

/** Each URL's own view, or the reason it gave none. */
async function views(client: Client, urls: readonly string[]): Promise<NodeAnswer[]> {
  return Promise.all(
    urls.map((url) =>
      client.call(url, 'GET', '/cluster?return=ClusterNodeState').catch(
        (err: unknown): NodeAnswer => ({ url, status: 0, body: { TYPE: 'Problem', code: 'Unreachable', message: err instanceof Error ? err.message : String(err) } }),
      ),
    ),
  );
}

function problemText(body: Record<string, unknown>): string {
  return `${String(body['code'] ?? 'Problem')}: ${String(body['message'] ?? JSON.stringify(body))}`;
}

async function status(client: Client, options: Options): Promise<number> {
  const answers = await views(client, options.urls);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(answers.map((a) => ({ url: a.url, status: a.status, ...a.body })), null, 2)}\n`);
  } else {
    for (const a of answers) process.stdout.write(`${describeNode(a)}\n`);
  }
  return answers.some((a) => a.status === 200 && a.body['isActive'] === true) ? 0 : 1;
}

function describeNode(a: NodeAnswer): string {
  if (a.status !== 200) return `${a.url}\n  unreachable or refused (${a.status}): ${problemText(a.body)}`;
  const b = a.body;
  const cluster = b['clusterState'] as { TYPE?: string } | undefined;
  const journal = b['journal'] as { lastEventId?: number } | undefined;
  const watch = b['watch'] as Record<string, unknown> | undefined;
  const licence = b['licence'] as { TYPE?: string } | undefined;
  const problem = b['problem'] as Record<string, unknown> | undefined;
  const lines = [
    `${a.url}  ${String(b['nodeId'])}  ${b['isActive'] === true ? 'ACTIVE' : 'passive'}`,
    `  cluster ${cluster?.TYPE ?? '?'}, epoch ${String(b['epoch'])}`,
    `  journal at ${String(journal?.lastEventId ?? '?')}, acknowledged ${String(b['ackedEventId'] ?? '?')}`,
    `  last heartbeat ${b['lastHeartbeatAgeMs'] === null || b['lastHeartbeatAgeMs'] === undefined ? 'none yet' : `${String(b['lastHeartbeatAgeMs'])} ms ago`}`,
    ...(watch === undefined ? [] : [`  watch ${watch['registered'] === true ? 'connected' : 'not connected'}${watch['watchId'] === undefined ? '' : ` (${String(watch['watchId'])})`}`]),
    ...(licence === undefined ? [] : [`  licence ${licence.TYPE ?? '?'}`]),
    ...(problem === undefined ? [] : [`  problem ${problemText(problem)}`]),
  ];
  return lines.join('\n');
}

async function toActive(client: Client, options: Options, command: Record<string, unknown>, done: string): Promise<number> {
  const answers = await views(client, options.urls);
  const active = answers.find((a) => a.status === 200 && a.body['isActive'] === true);
  if (active === undefined) {
    process.stderr.write(`tandem cluster: no active node among ${options.urls.join(', ')}\n`);
    for (const a of answers) process.stderr.write(`  ${a.url}: ${a.status === 200 ? `passive (${String((a.body['clusterState'] as { TYPE?: string } | undefined)?.TYPE)})` : problemText(a.body)}\n`);
    return 1;
  }
  return send(client, options, active.url, command, `${done} (${String(active.body['nodeId'])} at ${active.url})`);
}

async function appoint(client: Client, options: Options): Promise<number> {
  const answers = await views(client, options.urls);
  const byNode = (nodeId: string): NodeAnswer | undefined => answers.find((a) => a.status === 200 && a.body['nodeId'] === nodeId);
  const primary = byNode('Primary');
  if (primary === undefined) {
    process.stderr.write(`tandem cluster: none of ${options.urls.join(', ')} answers as the Primary, which takes the appointment\n`);
    for (const a of answers) process.stderr.write(`  ${a.url}: ${a.status === 200 ? String(a.body['nodeId']) : problemText(a.body)}\n`);
    return 1;
  }
  // The URIs the nodes use for each other; behind NAT or in containers they differ from the ones given here.
  const idToUri = {
    Primary: (options['primary-uri'] ?? primary.url).replace(/\/$/, ''),
    Backup: (options['backup-uri'] ?? byNode('Backup')?.url)?.replace(/\/$/, ''),
  };
  if (idToUri.Backup === undefined) throw new UsageError('no --url answers as the Backup: name its URI with --backup-uri');
  return send(
    client,
    options,
    primary.url,
    { TYPE: 'ClusterAppointNodes', idToUri, activeId: 'Primary' },
    `appointed Primary ${idToUri.Primary} and Backup ${idToUri.Backup}; the pair couples once the backup has caught up (tandem cluster status)`,
  );
}

async function confirmLoss(client: Client, options: Options): Promise<number> {
  const lost = options.lost;
  if (lost === undefined) throw new UsageError('confirm-loss needs --lost NODE_ID (the node that is gone)');
  const answers = await views(client, options.urls);
  // The confirmation goes to the node that survives; it stands in for the watch there.
  const survivor = answers.find((a) => a.status === 200 && a.body['nodeId'] !== lost);
  if (survivor === undefined) {
    process.stderr.write(`tandem cluster: none of ${options.urls.join(', ')} answers as a node other than ${lost}\n`);
    return 1;
  }
  return send(
    client,
    options,
    survivor.url,
    { TYPE: 'ConfirmClusterNodeLoss', lostNodeId: lost },
    `${String(survivor.body['nodeId'])} at ${survivor.url} may now act without ${lost} (once, within 60 s)`,
  );
}

async function send(client: Client, options: Options, url: string, command: Record<string, unknown>, done: string): Promise<number> {
  const answer = await client.call(url, 'POST', '/command', command);
  if (options.json) process.stdout.write(`${JSON.stringify({ url, status: answer.status, ...answer.body })}\n`);
  if (answer.status === 200) {
    if (!options.json) process.stdout.write(`${done}\n`);
    return 0;
  }
  process.stderr.write(`tandem cluster: ${url} refused ${String(command['TYPE'])} (${answer.status}): ${problemText(answer.body)}\n`);
  return 1;
}
