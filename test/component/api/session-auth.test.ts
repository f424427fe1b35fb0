import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TandemError } from '../../../src/common/index.js';
import { basic, login, problemCode, startHarness } from './api-harness.js';

test('login with a plain: password gives a session that reads the overview, and logout ends it', async (t) => {
  const h = await startHarness(t);
  const session = await login(h, 'demo', 'demo-secret');

  const overview = await h.call('/controller/api', { headers: session });
  assert.equal(overview.status, 200);
  assert.equal((overview.body as { id?: string }).id, 'fake');

  const out = await h.call('/controller/api/session', { json: { TYPE: 'Logout' }, headers: session });
  assert.equal(out.status, 200);
  assert.deepEqual(out.body, { TYPE: 'Accepted' });

  const after = await h.call('/controller/api', { headers: session });
  assert.equal(after.status, 401);
  assert.equal(problemCode(after), 'Unauthenticated');
});

test('login with a sha512: password works and a wrong password or unknown user is InvalidLogin', async (t) => {
  const h = await startHarness(t);
  const session = await login(h, 'admin', 'admin-secret');
  assert.equal((await h.call('/controller/api/order', { headers: session })).status, 200);

  for (const [userId, password] of [
    ['admin', 'wrong'],
    ['demo', 'admin-secret'],
    ['nobody', 'demo-secret'],
    ['constructor', 'x'],
    ['cockpit', ''],
  ] as const) {
    const answer = await h.call('/controller/api/session', { json: { TYPE: 'Login', userAndPassword: { userId, password } } });
    assert.equal(answer.status, 401, `${userId}/${password}`);
    assert.equal(problemCode(answer), 'InvalidLogin');
  }
});

test('HTTP Basic credentials are accepted per call; wrong ones are refused', async (t) => {
  const h = await startHarness(t);
  assert.equal((await h.call('/controller/api', { headers: basic('reader', 'reader-secret') })).status, 200);
  const wrong = await h.call('/controller/api', { headers: basic('reader', 'nope') });
  assert.equal(wrong.status, 401);
  assert.equal(problemCode(wrong), 'InvalidLogin');
  const garbled = await h.call('/controller/api', { headers: { authorization: 'Bearer abc' } });
  assert.equal(garbled.status, 401);
  assert.equal(problemCode(garbled), 'Unauthenticated');
});

test('a call without credentials is Unauthenticated, and the command never reaches the controller', async (t) => {
  const h = await startHarness(t);
  const answer = await h.call('/controller/api/command', { json: { TYPE: 'AddOrder', order: { id: 'o-1', workflowPath: 'w' } } });
  assert.equal(answer.status, 401);
  assert.equal(problemCode(answer), 'Unauthenticated');
  assert.equal(h.fake.commands.length, 0);
  const garbage = await h.call('/controller/api/command', { rawBody: '{"TYPE":', headers: { 'content-type': 'application/json' } });
  assert.equal(garbage.status, 401, 'credentials are checked before the body is read');
  const forged = await h.call('/controller/api/order', { headers: { 'x-js7-session': 'forged-token' } });
  assert.equal(forged.status, 401);
  assert.equal(problemCode(forged), 'Unauthenticated');
});

test('permissions: ReadOnly cannot add orders, ChangeOrder can, unknown commands need Admin', async (t) => {
  const h = await startHarness(t);
  const reader = basic('reader', 'reader-secret');
  const demo = basic('demo', 'demo-secret');
  const admin = basic('admin', 'admin-secret');
  const addOrder = { TYPE: 'AddOrder', order: { id: 'o-1', workflowPath: 'demo/hello' } };

  const refused = await h.call('/controller/api/command', { json: addOrder, headers: reader });
  assert.equal(refused.status, 403);
  assert.equal(problemCode(refused), 'Forbidden');
  assert.equal(h.fake.commands.length, 0);

  const accepted = await h.call('/controller/api/command', { json: addOrder, headers: demo });
  assert.equal(accepted.status, 200);
  assert.deepEqual(accepted.body, { TYPE: 'Accepted' });
  assert.equal(h.fake.commands.length, 1);
  assert.deepEqual(h.fake.commands[0]?.body, addOrder);
  assert.equal(h.fake.commands[0]?.user.userId, 'demo');

  for (const type of ['DeployWorkflow', 'ShutDown', 'ClusterSwitchOver', 'SomethingNew']) {
    const answer = await h.call('/controller/api/command', { json: { TYPE: type }, headers: demo });
    assert.equal(answer.status, 403, type);
  }
  assert.equal(h.fake.commands.length, 1);

  h.fake.onCommand = async () => {
    throw new TandemError('UnknownCommand', 'No such command SomethingNew.', {
      TYPE: 'SomethingNew',
    });
  };
  const unknown = await h.call('/controller/api/command', { json: { TYPE: 'SomethingNew' }, headers: admin });
  assert.equal(unknown.status, 400);
  assert.deepEqual(unknown.body, {
    TYPE: 'Problem',
    code: 'UnknownCommand',
    message: 'No such command SomethingNew.',
    arguments: { TYPE: 'SomethingNew' },
  });
});

test('an unexpected controller failure is a 500 InternalError that does not leak its message', async (t) => {
  const h = await startHarness(t);
  h.fake.onCommand = async () => {
    throw new Error('secret internals at /var/lib/x');
  };
  const answer = await h.call('/controller/api/command', { json: { TYPE: 'TakeSnapshot' }, headers: basic('admin', 'admin-secret') });
  assert.equal(answer.status, 500);
  assert.equal(problemCode(answer), 'InternalError');
  assert.ok(!answer.text.includes('secret internals'));
});

test('sessions end after an hour idle, measured on the clock', async (t) => {
  const h = await startHarness(t);
  const session = await login(h, 'demo', 'demo-secret');
  h.clock.advance(59 * 60 * 1000);
  assert.equal((await h.call('/controller/api', { headers: session })).status, 200, 'use refreshes the idle timer');
  h.clock.advance(59 * 60 * 1000);
  assert.equal((await h.call('/controller/api', { headers: session })).status, 200);
  h.clock.advance(60 * 60 * 1000 + 1);
  const expired = await h.call('/controller/api', { headers: session });
  assert.equal(expired.status, 401);
  assert.equal(problemCode(expired), 'Unauthenticated');
});

test('auth.public and loopbackIsPublic let callers in as Anonymous with all permissions', async (t) => {
  for (const auth of [
    { public: true, loopbackIsPublic: false, users: {} },
    { public: false, loopbackIsPublic: true, users: {} },
  ]) {
    const h = await startHarness(t, { auth });
    const answer = await h.call('/controller/api/command', { json: { TYPE: 'ShutDown' } });
    assert.equal(answer.status, 200);
    assert.equal(h.fake.commands[0]?.user.userId, 'Anonymous');
    const session = await h.call('/controller/api/session', { json: { TYPE: 'Login' } });
    assert.equal((session.body as { TYPE?: string }).TYPE, 'LoggedIn');
  }
});

test('session commands other than Login/Logout are UnknownCommand; a malformed Login is InvalidRequest', async (t) => {
  const h = await startHarness(t);
  const other = await h.call('/controller/api/session', { json: { TYPE: 'Hijack' } });
  assert.equal(other.status, 400);
  assert.equal(problemCode(other), 'UnknownCommand');
  const bad = await h.call('/controller/api/session', { json: { TYPE: 'Login', userAndPassword: { userId: 7 } } });
  assert.equal(bad.status, 400);
  assert.equal(problemCode(bad), 'InvalidRequest');
  assert.equal((bad.body as { arguments: { path: string } }).arguments.path, '$.userAndPassword.userId');
  const anonymous = await h.call('/controller/api/session', { json: { TYPE: 'Login' } });
  assert.equal(anonymous.status, 401, 'no anonymous login unless public');
});
