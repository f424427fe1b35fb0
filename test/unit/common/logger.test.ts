import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, logFormat, LogContext } from '../../../src/common/index.js';

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, lines: () => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test("every line, of the root and of its children, carries the context's fields as they are when the line is written", () => {
  const context = new LogContext();
  const out = sink();
  const root = createLogger({ context, destination: out.stream, bindings: { nodeId: 'Primary' } });
  const journal = root.child({ component: 'journal' });
  let fields: Record<string, unknown> = { role: 'starting', epoch: 0 };
  context.follow(() => fields);
  journal.info('opened');
  fields = { role: 'active', epoch: 3 };
  journal.warn('rotated');
  root.info('serving');
  const [a, b, c] = out.lines();
  assert.deepEqual([a?.['nodeId'], a?.['role'], a?.['epoch'], a?.['component']], ['Primary', 'starting', 0, 'journal']);
  assert.deepEqual([b?.['role'], b?.['epoch'], b?.['msg']], ['active', 3, 'rotated']);
  assert.deepEqual([c?.['role'], c?.['epoch']], ['active', 3]);
});

test('TANDEM_LOG_FORMAT chooses the format; otherwise pretty on a terminal and JSON elsewhere', () => {
  assert.equal(logFormat({ TANDEM_LOG_FORMAT: 'json' }, true), 'json');
  assert.equal(logFormat({ TANDEM_LOG_FORMAT: 'pretty' }, false), 'pretty');
  assert.equal(logFormat({}, true), 'pretty');
  assert.equal(logFormat({}, false), 'json');
  assert.equal(logFormat({ TANDEM_LOG_FORMAT: 'xml' }, false), 'json');
});
