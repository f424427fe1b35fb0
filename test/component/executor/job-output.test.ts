import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  JobStreamOutput,
  OUTPUT_CAP_BYTES,
  OUTPUT_FLUSH_BYTES,
  OUTPUT_TRUNCATED_LINE,
} from '../../../src/workflow/job-output.js';

function collector(): { output: JobStreamOutput; chunks: string[]; fireTimer: () => void } {
  const chunks: string[] = [];
  let timer: (() => void) | undefined;
  const output = new JobStreamOutput(
    (chunk) => chunks.push(chunk),
    (flush) => {
      timer = flush;
    },
  );
  return {
    output,
    chunks,
    fireTimer: () => {
      const fire = timer;
      timer = undefined;
      fire?.();
    },
  };
}

void test('multi-byte characters split byte by byte across writes and flushes come out whole', () => {
  const { output, chunks, fireTimer } = collector();
  for (const byte of Buffer.from('a€𝄞ü', 'utf8')) {
    output.write(Uint8Array.of(byte));
    fireTimer();
  }
  output.end();
  assert.equal(chunks.join(''), 'a€𝄞ü');
  assert.ok(chunks.every((c) => !c.includes('\ufffd')));
});

void test('nothing is delivered before the timer or the size bound; then it comes as one chunk', () => {
  const { output, chunks, fireTimer } = collector();
  for (let i = 0; i < 100; i++) output.write(Buffer.from(`line ${i}\n`));
  assert.deepEqual(chunks, []);
  fireTimer();
  assert.equal(chunks.length, 1);
  output.write(Buffer.alloc(OUTPUT_FLUSH_BYTES, 'b'));
  assert.equal(chunks.length, 2, 'a full flush size goes out at once');
  assert.equal(chunks[1], 'b'.repeat(OUTPUT_FLUSH_BYTES));
});

void test('a dangling partial character at the end becomes U+FFFD', () => {
  const { output, chunks } = collector();
  output.write(Buffer.from([0x61, 0xe2, 0x82]));
  output.end();
  assert.equal(chunks.join(''), 'a\ufffd');
});

void test('the cap cuts inside a character without emitting half of it, then drops the rest', () => {
  const { output, chunks } = collector();
  output.write(Buffer.alloc(OUTPUT_CAP_BYTES - 1, 'x'));
  output.write(Buffer.from('€ and more'));
  output.write(Buffer.from('even more'));
  output.end();
  assert.equal(output.truncated, true);
  assert.equal(chunks.join(''), `${'x'.repeat(OUTPUT_CAP_BYTES - 1)}\n${OUTPUT_TRUNCATED_LINE}`);
});

void test('exactly the cap is not truncated', () => {
  const { output, chunks } = collector();
  output.write(Buffer.alloc(OUTPUT_CAP_BYTES - 1, 'x'));
  output.write(Buffer.from('\n'));
  output.end();
  assert.equal(output.truncated, false);
  assert.equal(chunks.join('').length, OUTPUT_CAP_BYTES);
});
