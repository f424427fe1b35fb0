import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeNodeDirs, startTandem, stopTandem, type TandemProcess } from '../helpers/tandem-process.js';
import { call, command } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

const conf = 'js7.controller.id = "it"\njs7.web.server.auth.public = true\n';

async function orderState(api: string, id: string): Promise<string | undefined> {
  const r = await call(api, 'GET', `/order/${id}`);
  if (r.status !== 200) return undefined;
  return (r.body['state'] as { TYPE: string }).TYPE;
}

async function journalBytes(dataDir: string): Promise<number> {
  const dir = join(dataDir, 'state');
  let total = 0;
  for (const name of await readdir(dir)) if (name.endsWith('.journal')) total += (await stat(join(dir, name))).size;
  return total;
}

test('a real tandem process runs orders and keeps them across SIGTERM and SIGKILL restarts', async (t) => {
  const dirs = await makeNodeDirs(conf);
  t.after(() => dirs.cleanup());
  const marker = join(dirs.base, 'ran.txt');
  const args = ['--config-dir', dirs.configDir, '--data-dir', dirs.dataDir, '--http-port', '0'];
  let node: TandemProcess = await startTandem(args);
  t.after(() => stopTandem(node, 'SIGKILL'));

  const deploy = await command(node.api, {
    TYPE: 'DeployWorkflow',
    workflow: {
      path: 'it/append',
      instructions: [{ TYPE: 'Execute', job: { script: `echo "$ID" >> '${marker}'; echo done-$ID`, env: { ID: '$id' } } }],
    },
  });
  assert.equal(deploy.status, 200, JSON.stringify(deploy.body));

  for (let i = 0; i < 5; i++) {
    const r = await command(node.api, { TYPE: 'AddOrder', order: { id: `o-${i}`, workflowPath: 'it/append', arguments: { id: `o-${i}` } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body['TYPE'], 'Accepted');
  }
  // The same id again is answered, but no second order and no second run.
  const dup = await command(node.api, { TYPE: 'AddOrder', order: { id: 'o-0', workflowPath: 'it/append', arguments: { id: 'o-0' } } });
  assert.equal(dup.status, 200);

  for (let i = 0; i < 5; i++) await waitFor(`o-${i} finished`, async () => ((await orderState(node.api, `o-${i}`)) === 'Finished' ? true : undefined));
  const order = await call(node.api, 'GET', '/order/o-3');
  assert.deepEqual(order.body['outcomes'], [{ TYPE: 'Succeeded', returnCode: 0 }]);
  assert.deepEqual(order.body['position'], [1]);
  const log = await waitFor('job log of o-3', async () => {
    const r = await call(node.api, 'GET', '/order/o-3/log');
    return JSON.stringify(r.body).includes('done-o-3') ? r : undefined;
  });
  assert.equal(log.status, 200);

  const ran = (await readFile(marker, 'utf8')).trim().split('\n').sort();
  assert.deepEqual(ran, ['o-0', 'o-1', 'o-2', 'o-3', 'o-4'], 'every order ran exactly once');

  const before = await call(node.api, 'GET', '/order');
  assert.equal(await stopTandem(node, 'SIGTERM'), 0, 'SIGTERM stops cleanly with exit 0');

  node = await startTandem(args);
  const afterTerm = await call(node.api, 'GET', '/order');
  assert.deepEqual(afterTerm.body, before.body, 'the orders are the same after a clean restart');

  await stopTandem(node, 'SIGKILL');
  node = await startTandem(args);
  const afterKill = await call(node.api, 'GET', '/order');
  assert.deepEqual(afterKill.body, before.body, 'the orders are the same after SIGKILL and restart');
  const ranAgain = (await readFile(marker, 'utf8')).trim().split('\n');
  assert.equal(ranAgain.length, 5, 'no finished job ran again after the restarts');
  assert.equal(await stopTandem(node, 'SIGTERM'), 0);
});

test('bad request bodies get the documented Problem and change nothing in the journal', async (t) => {
  const dirs = await makeNodeDirs(conf);
  t.after(() => dirs.cleanup());
  const node = await startTandem(['--config-dir', dirs.configDir, '--data-dir', dirs.dataDir, '--http-port', '0']);
  t.after(() => stopTandem(node, 'SIGKILL'));

  const overview = await call(node.api, 'GET', '');
  const lastEventId = overview.body['lastEventId'];
  const bytes = await journalBytes(dirs.dataDir);

  const cases: { name: string; body: unknown; status: number; code: string }[] = [
    { name: 'malformed JSON', body: '{"TYPE": "AddOrder", ', status: 400, code: 'InvalidJson' },
    { name: 'unknown TYPE', body: { TYPE: 'LaunchRockets' }, status: 400, code: 'UnknownCommand' },
    { name: 'wrong field type', body: { TYPE: 'AddOrder', order: { id: 7, workflowPath: 'x' } }, status: 400, code: 'InvalidRequest' },
    { name: 'not an object', body: '[1,2,3]', status: 400, code: 'InvalidRequest' },
    { name: 'unknown workflow', body: { TYPE: 'AddOrder', order: { id: 'x-1', workflowPath: 'no/such' } }, status: 404, code: 'UnknownWorkflow' },
    {
      name: 'too large',
      body: { TYPE: 'AddOrder', order: { id: 'big', workflowPath: 'x', arguments: { blob: 'x'.repeat(2 * 1024 * 1024) } } },
      status: 413,
      code: 'PayloadTooLarge',
    },
  ];
  for (const c of cases) {
    const r = await command(node.api, c.body);
    assert.equal(r.status, c.status, `${c.name}: ${JSON.stringify(r.body).slice(0, 300)}`);
    assert.equal(r.body['TYPE'], 'Problem', c.name);
    assert.equal(r.body['code'], c.code, c.name);
  }
  const after = await call(node.api, 'GET', '');
  assert.equal(after.body['lastEventId'], lastEventId, 'no event was written');
  assert.equal(await journalBytes(dirs.dataDir), bytes, 'the journal did not grow');
});
