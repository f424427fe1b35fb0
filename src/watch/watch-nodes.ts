import { TandemError } from '../common/index.js';
import type { WatchConfig } from '../config/index.js';
import type { WatchNode } from './cluster-watch.js';

/** The user a node's credentials name when none is configured: the nodes' default `js7.controller.id`. */
export const DEFAULT_WATCH_USER = 'Controller';

interface Entry {
  readonly file: string;
  readonly path: string;
  readonly message: string;
}

/**
 * The two nodes to watch, with their credentials: the `cluster-nodes` of the
 * configuration and the `--node` flags together (a flag naming a configured URI is
 * that node). A node without credentials of its own takes `watch.user` and
 * `watch.password`; a password without any user goes with the user `Controller`.
 * Throws ConfigInvalid unless exactly two different nodes result.
 */
export function resolveWatchNodes(config: WatchConfig, nodeFlags: readonly string[]): WatchNode[] {
  const errors: Entry[] = [];
  const nodes = new Map<string, { uri: string; user?: string; password?: string }>();
  for (const node of config.clusterNodes) {
    const key = sameNodeKey(node.uri);
    if (nodes.has(key)) errors.push({ file: 'configuration', path: 'js7.journal.cluster.watch.cluster-nodes', message: `${node.uri} is listed twice` });
    else nodes.set(key, { ...node });
  }
  for (const flag of nodeFlags) {
    if (!isHttpUri(flag)) {
      errors.push({ file: 'command line', path: '--node', message: `expected an https:// (or http://) URI, got ${JSON.stringify(flag)}` });
      continue;
    }
    const key = sameNodeKey(flag);
    if (!nodes.has(key)) nodes.set(key, { uri: flag });
  }
  if (errors.length === 0 && nodes.size !== 2) {
    const listed = nodes.size === 0 ? 'none' : [...nodes.values()].map((n) => n.uri).join(', ');
    errors.push({
      file: 'command line',
      path: '--node',
      message: `the watch needs exactly two nodes (js7.journal.cluster.watch.cluster-nodes and --node together), got ${nodes.size}: ${listed}`,
    });
  }
  if (errors.length > 0) {
    throw new TandemError('ConfigInvalid', 'The cluster watch cannot tell which two nodes to watch.', { errors });
  }
  return [...nodes.values()].map((node) => withCredentials(node, config));
}

function withCredentials(node: { uri: string; user?: string; password?: string }, config: WatchConfig): WatchNode {
  // A node's own entry wins as a whole, so a user of one entry never pairs with the password given for all.
  const own = node.user !== undefined || node.password !== undefined;
  const user = own ? node.user : config.user;
  const password = own ? node.password : config.password;
  if (password === undefined) return { uri: node.uri, ...(user === undefined ? {} : { user }) };
  return { uri: node.uri, user: user ?? DEFAULT_WATCH_USER, password };
}

function isHttpUri(s: string): boolean {
  if (!URL.canParse(s)) return false;
  const protocol = new URL(s).protocol;
  return protocol === 'https:' || protocol === 'http:';
}

/** `https://Backup:443/` and `https://backup` are one node. */
function sameNodeKey(uri: string): string {
  return URL.canParse(uri) ? new URL(uri).href.replace(/\/+$/, '') : uri;
}
