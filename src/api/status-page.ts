import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `static/status/` at the package root, from this file's place in `dist/src/api/`. */
export const defaultStatusPageDir = fileURLToPath(new URL('../../../static/status/', import.meta.url));

/** The page's entry file; `GET /` serves it. */
const indexFile = 'index.html';

// Only these kinds are served; anything else in the directory stays private.
const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** One file of the page, read once at start. */
export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong validator from the content, so a browser revalidates cheaply and sees a new version at once. */
  readonly etag: string;
}

export type StatusPage =
  | { readonly TYPE: 'Loaded'; readonly index: StaticAsset; readonly assets: ReadonlyMap<string, StaticAsset> }
  | { readonly TYPE: 'Missing'; readonly dir: string; readonly reason: string };

function asset(name: string, body: Buffer): StaticAsset | undefined {
  const contentType = contentTypes[extname(name).toLowerCase()];
  if (contentType === undefined) return undefined;
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/**
 * Reads the status page's files from `dir` (flat: no subdirectories are served),
 * so that no request touches the disk. A missing directory is not fatal: the node
 * must run without its page, which then says where it looked.
 */
export async function loadStatusPage(dir: string = defaultStatusPageDir): Promise<StatusPage> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    return { TYPE: 'Missing', dir, reason: err instanceof Error ? err.message : String(err) };
  }
  const assets = new Map<string, StaticAsset>();
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const loaded = asset(entry.name, await readFile(join(dir, entry.name)));
    if (loaded !== undefined) assets.set(entry.name, loaded);
  }
  const index = assets.get(indexFile);
  if (index === undefined) return { TYPE: 'Missing', dir, reason: `${indexFile} is not there` };
  return { TYPE: 'Loaded', index, assets };
}
