import { MetricsRegistry } from '../common/index.js';

// Long-polls and event streams last up to a minute and more, hence the top buckets.
const latencyBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The HTTP layer's own figures for `GET /metrics`. */
export class HttpMetrics {
  readonly #registry = new MetricsRegistry();
  readonly #requests = this.#registry.counter(
    'tandem_http_requests_total',
    'HTTP requests answered, by route pattern, method and status.',
    ['route', 'method', 'status'],
  );
  readonly #latency = this.#registry.histogram(
    'tandem_http_request_duration_seconds',
    'Time from request to the end of the response, by route pattern (event streams count until they end).',
    ['route'],
    latencyBuckets,
  );
  readonly #waits = this.#registry.gauge('tandem_http_open_waits', 'Long-polls and event streams open now.');
  readonly #sessions = this.#registry.gauge('tandem_http_sessions', 'Login sessions held in memory.');

  /**
   * Counts one answered request. `route` must be the route pattern (or a fixed
   * word for unmatched URLs), never the raw URL, so the series stay few.
   */
  observe(route: string, method: string, status: number, seconds: number): void {
    this.#requests.inc({ route, method, status: String(status) });
    this.#latency.observe({ route }, seconds);
  }

  render(now: { readonly openWaits: number; readonly sessions: number }): string {
    this.#waits.set({}, now.openWaits);
    this.#sessions.set({}, now.sessions);
    return this.#registry.render();
  }
}
