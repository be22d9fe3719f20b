import type { Metric, Registry } from 'prom-client';
import { SeriesTable, type ExportedValue } from './series-table.ts';

/** One label set's value. */
export class ValueSeries {
  value = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}
  /** A count that is not a finite number is not counted (prom-client would throw at the caller). */
  inc(v = 1): void {
    if (Number.isFinite(v)) this.value += v;
  }
}

/** A gauge's series also goes down, or is set. */
export class GaugeSeries extends ValueSeries {
  dec(v = 1): void {
    if (Number.isFinite(v)) this.value -= v;
  }
  set(v: number): void {
    if (Number.isFinite(v)) this.value = v;
  }
}

/**
 * A Prometheus counter or gauge counted once or a few times per request: its label sets are
 * resolved once (`series()`, see SeriesTable) and exported as prom-client exports its own.
 */
export class PreboundValue<S extends ValueSeries> extends SeriesTable<S> {
  readonly aggregator = 'sum';
  constructor(
    readonly type: 'counter' | 'gauge',
    name: string,
    help: string,
    labelNames: readonly string[],
    registry: Registry,
    private readonly make: (labels: Record<string, string>) => S,
  ) {
    super(name, help, labelNames);
    registry.registerMetric(this as unknown as Metric);
  }
  protected create(labels: Record<string, string>): S {
    return this.make(labels);
  }
  protected export(s: S, out: ExportedValue[]): void {
    out.push({ labels: s.labels, sharedLabels: {}, value: s.value });
  }
}

export const preboundCounter = (name: string, help: string, labelNames: readonly string[], registry: Registry) =>
  new PreboundValue('counter', name, help, labelNames, registry, (l) => new ValueSeries(l));

export const preboundGauge = (name: string, help: string, labelNames: readonly string[], registry: Registry) =>
  new PreboundValue('gauge', name, help, labelNames, registry, (l) => new GaugeSeries(l));
