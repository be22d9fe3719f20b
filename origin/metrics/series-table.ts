/** One exported sample in prom-client's shape: the registry prints `labels` first, then `sharedLabels`. */
export interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName?: string;
}

interface Exported {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: ExportedValue[];
}

/**
 * The label sets of one metric, each resolved once to its series object: the metrics observed on
 * every request (and frame) look a series up by its label values and update it in place, with
 * no label object, validation or hash string per call as prom-client's own metrics make. The
 * registry reads it through `get()` / `getForPromString()`, as it reads prom-client's.
 */
export abstract class SeriesTable<S extends { readonly labels: Readonly<Record<string, string>> }> {
  abstract readonly type: string;
  abstract readonly aggregator: string;
  private readonly map = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  protected abstract create(labels: Record<string, string>): S;
  protected abstract export(s: S, out: ExportedValue[]): void;

  /** The series of one label set (values in `labelNames` order). */
  series(...values: string[]): S {
    const key = values.length === 1 ? values[0]! : values.join('\u0000');
    let s = this.map.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      s = this.create(labels);
      this.map.set(key, s);
    }
    return s;
  }

  reset(): void {
    this.map.clear();
  }

  /** For the text format: what prom-client's own metrics hand the registry. */
  getForPromString(): Promise<Exported> {
    const values: ExportedValue[] = [];
    for (const s of this.map.values()) this.export(s, values);
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** For JSON (getMetricsAsJSON): the series' labels merged into each sample's, as prom-client does. */
  async get(): Promise<Omit<Exported, 'values'> & { values: Array<Omit<ExportedValue, 'sharedLabels'>> }> {
    const { values, ...data } = await this.getForPromString();
    return { ...data, values: values.map(({ sharedLabels, labels, ...v }) => ({ ...v, labels: { ...labels, ...sharedLabels } })) };
  }
}
