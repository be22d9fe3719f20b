import type { Metric, Registry } from 'prom-client';
import { SeriesTable, type ExportedValue } from './series-table.ts';

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
    if (!Number.isFinite(v)) return;
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

/**
 * A Prometheus histogram whose label sets are resolved once (`series()`), for values observed
 * per request or per streamed frame. prom-client's Histogram validates the labels and builds a
 * hash string on every observe; here each observation is a bucket scan and three additions.
 * Registered in a prom-client Registry like any metric and exported in the same text as
 * prom-client's own histograms (`le` first, then the series' labels).
 */
export class PreboundHistogram extends SeriesTable<HistogramSeries> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: Float64Array;

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames);
    this.bounds = Float64Array.from([...buckets].sort((a, b) => a - b));
    registry.registerMetric(this as unknown as Metric);
  }

  protected create(labels: Record<string, string>): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }

  protected export(s: HistogramSeries, out: ExportedValue[]): void {
    let acc = 0;
    for (let i = 0; i < s.counts.length; i++) {
      acc += s.counts[i]!;
      out.push({ labels: { le: i < this.bounds.length ? this.bounds[i]! : '+Inf' }, sharedLabels: s.labels, value: acc, metricName: `${this.name}_bucket` });
    }
    out.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
    out.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
  }
}
