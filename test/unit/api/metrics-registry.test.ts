import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsRegistry, prometheusContentType } from '../../../src/common/index.js';

test('counters, gauges and histograms render in text format 0.0.4', () => {
  const r = new MetricsRegistry();
  const c = r.counter('t_requests_total', 'Requests.', ['route', 'status']);
  const g = r.gauge('t_open', 'Open things.');
  const h = r.histogram('t_latency_seconds', 'Latency.', ['route'], [0.1, 1]);
  c.inc({ route: '/a', status: '200' });
  c.inc({ route: '/a', status: '200' }, 2);
  c.inc({ route: '/b', status: '404' });
  g.set({}, 5);
  g.dec({});
  h.observe({ route: '/a' }, 0.05);
  h.observe({ route: '/a' }, 0.5);
  h.observe({ route: '/a' }, 7);
  assert.equal(
    r.render(),
    [
      '# HELP t_requests_total Requests.',
      '# TYPE t_requests_total counter',
      't_requests_total{route="/a",status="200"} 3',
      't_requests_total{route="/b",status="404"} 1',
      '# HELP t_open Open things.',
      '# TYPE t_open gauge',
      't_open 4',
      '# HELP t_latency_seconds Latency.',
      '# TYPE t_latency_seconds histogram',
      't_latency_seconds_bucket{route="/a",le="0.1"} 1',
      't_latency_seconds_bucket{route="/a",le="1"} 2',
      't_latency_seconds_bucket{route="/a",le="+Inf"} 3',
      't_latency_seconds_sum{route="/a"} 7.55',
      't_latency_seconds_count{route="/a"} 3',
      '',
    ].join('\n'),
  );
  assert.match(prometheusContentType, /^text\/plain; version=0\.0\.4/);
});

test('label values and help text are escaped', () => {
  const r = new MetricsRegistry();
  r.counter('t_x', 'Line one\nback\\slash', ['v']).inc({ v: 'a"b\\c\nd' });
  assert.equal(r.render(), '# HELP t_x Line one\\nback\\\\slash\n# TYPE t_x counter\nt_x{v="a\\"b\\\\c\\nd"} 1\n');
});

test('bad names, decreasing counters, unsorted buckets and duplicates are refused', () => {
  const r = new MetricsRegistry();
  assert.throws(() => r.counter('1bad', 'x'));
  assert.throws(() => r.counter('t_ok', 'x', ['le']));
  assert.throws(() => r.histogram('t_h', 'x', [], [1, 1]));
  const c = r.counter('t_c', 'x');
  assert.throws(() => c.inc({}, -1));
  assert.throws(() => r.gauge('t_c', 'again'));
  assert.equal(new MetricsRegistry().render(), '');
});
