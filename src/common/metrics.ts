/**
 * A tiny Prometheus registry: counters, gauges and histograms with fixed buckets,
 * rendered in the text exposition format 0.0.4. Enough for a handful of figures
 * without pulling in a client library.
 */

/** The Content-Type of `MetricsRegistry.render()`. */
export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';

type Labels<L extends string> = Readonly<Record<L, string>>;

interface Series<L extends string, V> {
  readonly labels: Labels<L>;
  value: V;
}

const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function formatLabels(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** Shared bookkeeping of one metric family: name, help and its labelled series. */
abstract class Family<L extends string, V> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  protected readonly series = new Map<string, Series<L, V>>();

  constructor(name: string, help: string, labelNames: readonly L[]) {
    if (!metricNamePattern.test(name)) throw new Error(`invalid metric name ${name}`);
    for (const l of labelNames) if (!labelNamePattern.test(l) || l === 'le') throw new Error(`invalid label name ${l}`);
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  protected abstract initial(): V;

  protected entry(labels: Labels<L>): Series<L, V> {
    // A NUL cannot occur in an HTTP route or status, so it separates values unambiguously.
    const key = this.labelNames.map((l) => labels[l]).join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: { ...labels }, value: this.initial() };
      this.series.set(key, s);
    }
    return s;
  }

  protected pairs(labels: Labels<L>): [string, string][] {
    return this.labelNames.map((l) => [l, labels[l]]);
  }

  protected header(type: string): string[] {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${type}`];
  }

  abstract render(): string[];
}

/** A value that only goes up (requests served, bytes written). */
export class Counter<L extends string = never> extends Family<L, number> {
  protected initial(): number {
    return 0;
  }

  inc(labels: Labels<L>, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} cannot decrease`);
    this.entry(labels).value += by;
  }

  get(labels: Labels<L>): number {
    return this.entry(labels).value;
  }

  render(): string[] {
    const lines = this.header('counter');
    for (const s of this.series.values()) lines.push(`${this.name}${formatLabels(this.pairs(s.labels))} ${formatNumber(s.value)}`);
    return lines;
  }
}

/** A value that goes up and down (open streams, sessions). */
export class Gauge<L extends string = never> extends Family<L, number> {
  protected initial(): number {
    return 0;
  }

  set(labels: Labels<L>, value: number): void {
    this.entry(labels).value = value;
  }

  inc(labels: Labels<L>, by = 1): void {
    this.entry(labels).value += by;
  }

  dec(labels: Labels<L>, by = 1): void {
    this.entry(labels).value -= by;
  }

  get(labels: Labels<L>): number {
    return this.entry(labels).value;
  }

  render(): string[] {
    const lines = this.header('gauge');
    for (const s of this.series.values()) lines.push(`${this.name}${formatLabels(this.pairs(s.labels))} ${formatNumber(s.value)}`);
    return lines;
  }
}

interface HistogramValue {
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** Observations counted into fixed buckets (latencies). */
export class Histogram<L extends string = never> extends Family<L, HistogramValue> {
  readonly bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly L[], bounds: readonly number[]) {
    super(name, help, labelNames);
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`histogram ${name} buckets must increase`);
    }
    this.bounds = [...bounds];
  }

  protected initial(): HistogramValue {
    return { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
  }

  observe(labels: Labels<L>, value: number): void {
    const v = this.entry(labels).value;
    // Buckets are stored non-cumulative; render() adds them up.
    const i = this.bounds.findIndex((b) => value <= b);
    if (i >= 0) v.buckets[i]! += 1;
    v.sum += value;
    v.count += 1;
  }

  /** Number of observations so far for these labels. */
  count(labels: Labels<L>): number {
    return this.entry(labels).value.count;
  }

  render(): string[] {
    const lines = this.header('histogram');
    for (const s of this.series.values()) {
      const base = this.pairs(s.labels);
      let cumulative = 0;
      this.bounds.forEach((b, i) => {
        cumulative += s.value.buckets[i]!;
        lines.push(`${this.name}_bucket${formatLabels([...base, ['le', formatNumber(b)]])} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${formatLabels([...base, ['le', '+Inf']])} ${s.value.count}`);
      lines.push(`${this.name}_sum${formatLabels(base)} ${formatNumber(s.value.sum)}`);
      lines.push(`${this.name}_count${formatLabels(base)} ${s.value.count}`);
    }
    return lines;
  }
}

/** Owns a set of metric families and renders them together. */
export class MetricsRegistry {
  readonly #families = new Map<string, Family<string, unknown>>();

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.#add(new Counter<L>(name, help, labelNames));
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.#add(new Gauge<L>(name, help, labelNames));
  }

  histogram<L extends string = never>(name: string, help: string, labelNames: readonly L[], bounds: readonly number[]): Histogram<L> {
    return this.#add(new Histogram<L>(name, help, labelNames, bounds));
  }

  /** All families in text format 0.0.4, ending with a newline. */
  render(): string {
    const lines: string[] = [];
    for (const f of this.#families.values()) lines.push(...f.render());
    return lines.length === 0 ? '' : lines.join('\n') + '\n';
  }

  #add<F extends Family<string, unknown>>(family: F): F {
    if (this.#families.has(family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.#families.set(family.name, family);
    return family;
  }
}
