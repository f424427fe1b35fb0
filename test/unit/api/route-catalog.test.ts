import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteCatalog } from '../../../src/api/route-catalog.js';

test('allowed methods are found by pattern, parameter and wildcard', () => {
  const c = new RouteCatalog();
  c.add('GET', '/controller/api/order/:id');
  c.add(['GET', 'HEAD'], '/controller/api/workflow/*');
  c.add('POST', '/controller/api/command');
  c.add('HEAD', '/controller/api/order/:id');
  assert.deepEqual(c.allowedMethods('/controller/api/order/o-1'), ['GET', 'HEAD']);
  assert.deepEqual(c.allowedMethods('/controller/api/order/o-1/'), ['GET', 'HEAD']);
  assert.deepEqual(c.allowedMethods('/controller/api/workflow/a/b/c'), ['GET', 'HEAD']);
  assert.deepEqual(c.allowedMethods('/controller/api/command'), ['POST']);
  assert.deepEqual(c.allowedMethods('/controller/api/order/o-1/other'), []);
  assert.deepEqual(c.allowedMethods('/controller/apiXcommand'), []);
});
