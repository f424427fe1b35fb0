import type { FastifyReply, FastifyRequest } from 'fastify';
import { TandemError } from '../../common/index.js';
import { apiBase, headerText, type App } from '../route-context.js';
import type { StaticAsset, StatusPage } from '../status-page.js';

/** Where the page's scripts and styles are served: `/status/<file>`. */
export const statusAssetsBase = '/status';

// The page loads only its own files and talks only to its own node; it renders data as text, never as markup.
const pageSecurityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const missingPage =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tandem</title></head><body>' +
  `<p>The status page's files are missing from this installation (the node log says where it looked). The API is at <a href="${apiBase}">${apiBase}</a>.</p>` +
  '</body></html>\n';

function send(request: FastifyRequest, reply: FastifyReply, file: StaticAsset): FastifyReply {
  // Revalidated on every load (cheap: a 304), so an upgraded node serves its new page at once.
  reply.header('cache-control', 'no-cache').header('etag', file.etag).header('x-content-type-options', 'nosniff');
  const validators = headerText(request.headers['if-none-match']);
  if (validators !== undefined && validators.split(',').some((v) => v.trim() === file.etag || v.trim() === '*')) {
    return reply.code(304).send();
  }
  return reply.header('content-type', file.contentType).send(file.body);
}

/** `GET /`: the status page; `GET /status/<file>`: its script and styles, all from memory. */
export function registerStatusPage(app: App, page: StatusPage): void {
  app.get('/', async (request, reply) => {
    reply.headers(pageSecurityHeaders);
    if (page.TYPE === 'Missing') return reply.code(404).header('content-type', 'text/html; charset=utf-8').send(missingPage);
    return send(request, reply, page.index);
  });
  app.get(`${statusAssetsBase}/:name`, async (request, reply) => {
    const name = (request.params as { name?: unknown }).name;
    // A map lookup, never a path: `..`, slashes and encoded tricks find nothing.
    const file = page.TYPE === 'Loaded' && typeof name === 'string' ? page.assets.get(name) : undefined;
    if (file === undefined) {
      throw new TandemError('NotFound', `The status page has no file ${String(name)}.`, { path: request.url.split('?', 1)[0] ?? request.url });
    }
    return send(request, reply, file);
  });
}
