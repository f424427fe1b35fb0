import { apiBase, type App } from '../route-context.js';

const page =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tandem</title></head>' +
  `<body><p>Tandem controller &mdash; <a href="${apiBase}">${apiBase}</a></p></body></html>\n`;

/** `GET /`: a placeholder page pointing at the API (the status page replaces it later). */
export function registerRootPage(app: App): void {
  app.get('/', async (_request, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(page));
}
