import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStatusPageDir } from '../../../src/api/status-page.js';
import { basic, problemCode, startHarness } from './api-harness.js';

test('GET / is the status page: HTML with its script and styles, a strict CSP and a validator', async (t) => {
  const h = await startHarness(t);
  const page = await h.call('/');
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.text, await readFile(join(defaultStatusPageDir, 'index.html'), 'utf8'), 'the page as shipped in static/status/');
  assert.match(page.text, /<script type="module" src="\/status\/app\.js"><\/script>/);
  assert.match(page.text, /href="\/controller\/api"/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  const etag = String(page.headers['etag']);
  assert.match(etag, /^"[A-Za-z0-9_-]+"$/);

  const again = await h.call('/', { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304, 'an unchanged page is not sent again');
  assert.equal(again.text, '');
});

test('the page needs no login, but the data it shows does', async (t) => {
  const h = await startHarness(t);
  assert.equal((await h.call('/status/app.js')).status, 200);
  const cluster = await h.call('/controller/api/cluster?return=ClusterNodeStates');
  assert.equal(cluster.status, 401);
  assert.equal(problemCode(cluster), 'Unauthenticated');
});

test('the script and styles are served with their content types', async (t) => {
  const h = await startHarness(t);
  const js = await h.call('/status/app.js');
  assert.equal(js.status, 200);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.text, await readFile(join(defaultStatusPageDir, 'app.js'), 'utf8'));
  const css = await h.call('/status/style.css');
  assert.equal(css.status, 200);
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
});

test('unknown files and paths that climb out of the directory are 404 Problems, never files', async (t) => {
  const h = await startHarness(t);
  const paths = [
    '/status/nothing.js',
    '/status/',
    '/status/..%2Fpackage.json',
    '/status/..%2F..%2F..%2Fpackage.json',
    '/status/%2E%2E%2Fstatus-page.test.ts',
    '/status/../../package.json',
    '/status/app.js%00.css',
  ];
  for (const path of paths) {
    const answer = await h.call(path);
    assert.equal(answer.status, 404, `${path} → ${answer.status} ${answer.text.slice(0, 80)}`);
    assert.equal(problemCode(answer), 'NotFound', path);
    assert.doesNotMatch(answer.text, /"name": "tandem"/, path);
  }
  const post = await h.call('/status/app.js', { method: 'POST', json: {} });
  assert.equal(post.status, 405);
});

test('only the known kinds of file in the directory itself are served, read once at start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>test page</title>');
  await writeFile(join(dir, 'app.js'), 'export {};\n');
  await writeFile(join(dir, 'notes.txt'), 'private');
  await writeFile(join(dir, '.env'), 'SECRET=1');
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'x.js'), 'nested');
  const h = await startHarness(t, { statusPageDir: dir });

  assert.match((await h.call('/')).text, /test page/);
  for (const name of ['notes.txt', '.env', 'sub', 'sub%2Fx.js']) {
    assert.equal((await h.call(`/status/${name}`)).status, 404, name);
  }
  // Changed on disk after the start: still the version read at start.
  await writeFile(join(dir, 'app.js'), 'changed\n');
  assert.equal((await h.call('/status/app.js')).text, 'export {};\n');
});

test('a node whose page files are missing still starts and says so at GET /', async (t) => {
  const h = await startHarness(t, { statusPageDir: join(tmpdir(), 'tandem-no-such-status-dir') });
  const page = await h.call('/');
  assert.equal(page.status, 404);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.text, /status page's files are missing/);
  assert.equal((await h.call('/controller/api', { headers: basic('reader', 'reader-secret') })).status, 200, 'the API works');
});

test('GET /cluster?return=ClusterNodeStates answers the node views for a reader', async (t) => {
  const h = await startHarness(t);
  const answer = await h.call('/controller/api/cluster?return=ClusterNodeStates', { headers: basic('reader', 'reader-secret') });
  assert.equal(answer.status, 200);
  const body = answer.body as { TYPE: string; nodes: { nodeId: string; self: boolean; reachable: boolean }[] };
  assert.equal(body.TYPE, 'ClusterNodeStates');
  assert.deepEqual(
    body.nodes.map((n) => [n.nodeId, n.self, n.reachable]),
    [['Primary', true, true]],
  );
});
