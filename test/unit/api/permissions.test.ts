import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasPermission, permissionForCommand } from '../../../src/api/index.js';

test('each command needs the permission of the documented table', () => {
  const table: Record<string, string> = {
    DeployWorkflow: 'UpdateItem',
    DeploySchedule: 'UpdateItem',
    DeleteSchedule: 'UpdateItem',
    AddOrder: 'ChangeOrder',
    CancelOrders: 'ChangeOrder',
    SuspendOrders: 'ChangeOrder',
    ResumeOrders: 'ChangeOrder',
    TakeSnapshot: 'Admin',
    ShutDown: 'Admin',
    ClusterAppointNodes: 'Admin',
    ClusterSwitchOver: 'Admin',
  };
  for (const [TYPE, permission] of Object.entries(table)) assert.equal(permissionForCommand({ TYPE }), permission, TYPE);
});

test('unknown TYPEs, even prototype names, need Admin; bodies without a string TYPE need none', () => {
  for (const TYPE of ['Nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) assert.equal(permissionForCommand({ TYPE }), 'Admin', TYPE);
  for (const body of [undefined, null, 42, 'AddOrder', [], {}, { TYPE: 7 }, { type: 'AddOrder' }]) {
    assert.equal(permissionForCommand(body), undefined, JSON.stringify(body));
  }
  assert.equal(permissionForCommand(Object.create({ TYPE: 'AddOrder' }) as unknown), undefined, 'an inherited TYPE is no TYPE');
});

test('SuperPermission includes every permission; others are independent', () => {
  const su = { userId: 'su', permissions: new Set(['SuperPermission']) };
  const ro = { userId: 'ro', permissions: new Set(['ReadOnly']) };
  for (const p of ['ReadOnly', 'UpdateItem', 'ChangeOrder', 'Admin'] as const) assert.equal(hasPermission(su, p), true);
  assert.equal(hasPermission(ro, 'ReadOnly'), true);
  assert.equal(hasPermission(ro, 'ChangeOrder'), false);
  assert.equal(hasPermission({ userId: 'a', permissions: new Set(['Admin']) }, 'ReadOnly'), false);
});
