import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { test } from 'node:test';
import { sameDistinguishedName, verifiedPeer } from '../../../src/api/index.js';

test('distinguished names compare by their parts, whatever the order, spacing or key case', () => {
  assert.equal(sameDistinguishedName('CN=cockpit, O=Tandem Tests', 'O=Tandem Tests\nCN=cockpit'), true);
  assert.equal(sameDistinguishedName('cn=cockpit,o=Tandem Tests', 'O=Tandem Tests\nCN=cockpit'), true);
  assert.equal(sameDistinguishedName('CN=cockpit, O=Tandem Tests', 'CN=cockpit'), false);
  assert.equal(sameDistinguishedName('CN=cockpit', 'CN=Cockpit'), false, 'values are case-sensitive');
});

test('a plain TCP socket has no verified peer', () => {
  assert.equal(verifiedPeer(new Socket()), undefined);
});
