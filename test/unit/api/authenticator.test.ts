import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Authenticator, type Caller } from '../../../src/api/authenticator.js';
import { SessionStore } from '../../../src/api/session-store.js';
import { hasCode, ManualClock } from '../../../src/common/index.js';

const users = {
  demo: { password: 'plain:pw', permissions: ['ReadOnly'], distinguishedNames: [] },
  cockpit: { permissions: ['ChangeOrder'], distinguishedNames: ['CN=cockpit, O=T'] },
};
const nobody: Caller = { sessionToken: undefined, authorization: undefined, remoteAddress: '10.0.0.9', peer: undefined };

function make(auth: { public?: boolean; loopbackIsPublic?: boolean } = {}): { a: Authenticator; sessions: SessionStore } {
  const sessions = new SessionStore(new ManualClock(), 1000);
  return { a: new Authenticator({ public: false, loopbackIsPublic: false, users, ...auth }, sessions), sessions };
}

test('loopback callers are anonymous only with loopbackIsPublic, on every loopback form', () => {
  const { a } = make({ loopbackIsPublic: true });
  for (const remoteAddress of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
    assert.equal(a.authenticate({ ...nobody, remoteAddress }).userId, 'Anonymous', remoteAddress);
  }
  assert.throws(() => a.authenticate(nobody), (e) => hasCode(e, 'Unauthenticated'));
  assert.throws(() => make().a.authenticate({ ...nobody, remoteAddress: '127.0.0.1' }), (e) => hasCode(e, 'Unauthenticated'));
});

test('a verified certificate subject logs in as its user; offered credentials are checked even when public', () => {
  const { a } = make({ public: true });
  assert.equal(a.authenticate({ ...nobody, peer: { subject: 'O=T\nCN=cockpit' } }).userId, 'cockpit');
  assert.equal(a.authenticate({ ...nobody, peer: { subject: 'CN=someone' } }).userId, 'Anonymous');
  assert.throws(() => a.authenticate({ ...nobody, sessionToken: 'stale' }), (e) => hasCode(e, 'Unauthenticated'));
  const wrong = `Basic ${Buffer.from('demo:nope').toString('base64')}`;
  assert.throws(() => a.authenticate({ ...nobody, authorization: wrong }), (e) => hasCode(e, 'InvalidLogin'));
});

test('a session token wins over other credentials', () => {
  const { a, sessions } = make();
  const token = sessions.create(a.checkPassword('demo', 'pw'));
  const wrong = `Basic ${Buffer.from('demo:nope').toString('base64')}`;
  assert.equal(a.authenticate({ ...nobody, sessionToken: token, authorization: wrong }).userId, 'demo');
});

test('Basic credentials may contain colons in the password; a user without password cannot use one', () => {
  const { a } = make();
  const withColon = new Authenticator(
    { public: false, loopbackIsPublic: false, users: { u: { password: 'plain:a:b', permissions: [], distinguishedNames: [] } } },
    new SessionStore(new ManualClock(), 1000),
  );
  assert.equal(withColon.authenticate({ ...nobody, authorization: `Basic ${Buffer.from('u:a:b').toString('base64')}` }).userId, 'u');
  assert.throws(() => a.checkPassword('cockpit', ''), (e) => hasCode(e, 'InvalidLogin'));
  assert.throws(() => a.checkPassword('__proto__', ''), (e) => hasCode(e, 'InvalidLogin'));
});
