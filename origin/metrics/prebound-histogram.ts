import type { Metric, Registry } from 'prom-client';

/** One label set's buckets; `observe` allocates nothing (per-frame hot path). */
export class HistogramSeries {
  /** Non-cumulative counts per bucket, +Inf last; made cumulative only at scrape time. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: Float64Array,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

/**
 * A Prometheus histogram for values observed once per streamed frame (inter-token latency).
 * prom-client's Histogram builds a label object and a hash string on every observe; here the
 * label set is resolved once per request (`series()`), and each observation is a bucket scan
 * and three additions. Registered in a prom-client Registry like any metric (it implements
 * `get()`), so it is scraped with the rest.
 */
export class PreboundHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: Float64Array;
  private readonly map = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label set (label values in `labelNames` order). */
  series(...values: string[]): HistogramSeries {
    const key = values.join('\u0000');
    let s = this.map.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      s = new HistogramSeries(labels, this.bounds);
      this.map.set(key, s);
    }
    return s;
  }

  reset(): void {
    this.map.clear();
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> }> {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const s of this.map.values()) {
      let acc = 0;
      for (let i = 0; i < s.counts.length; i++) {
        acc += s.counts[i]!;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        values.push({ labels: { ...s.labels, le }, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}
