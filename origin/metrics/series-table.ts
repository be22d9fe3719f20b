/** One exported sample in prom-client's shape: the registry prints `labels` first, then `sharedLabels`. */
export interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName?: string;
}

/** Labels a table's series may have (series takes their values as positional arguments). */
const MAX_LABELS = 5;

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
  /** Every series, in the order first seen (what the registry prints). */
  private readonly all: S[] = [];
  /**
   * Series by label values, one map level per label: a lookup hashes the label strings, which
   * keep their hash, instead of a key joined anew on every call.
   */
  private readonly byValues = new Map<string, unknown>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (labelNames.length > MAX_LABELS) throw new Error(`${name}: at most ${MAX_LABELS} labels (series takes them as arguments)`);
  }

  protected abstract create(labels: Record<string, string>): S;
  protected abstract export(s: S, out: ExportedValue[]): void;

  /**
   * The series of one label set (values in `labelNames` order). Positional parameters, not a rest
   * array: a lookup that finds its series allocates nothing.
   */
  series(v0 = '', v1 = '', v2 = '', v3 = '', v4 = ''): S {
    const depth = this.labelNames.length;
    let level = this.byValues;
    let last = v0;
    if (depth > 1) (level = this.below(level, v0)), (last = v1);
    if (depth > 2) (level = this.below(level, v1)), (last = v2);
    if (depth > 3) (level = this.below(level, v2)), (last = v3);
    if (depth > 4) (level = this.below(level, v3)), (last = v4);
    let s = level.get(last) as S | undefined;
    if (s === undefined) {
      const values = [v0, v1, v2, v3, v4];
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i]!));
      s = this.create(labels);
      level.set(last, s);
      this.all.push(s);
    }
    return s;
  }

  private below(level: Map<string, unknown>, value: string): Map<string, unknown> {
    let next = level.get(value) as Map<string, unknown> | undefined;
    if (next === undefined) level.set(value, (next = new Map()));
    return next;
  }

  reset(): void {
    this.byValues.clear();
    this.all.length = 0;
  }

  /** For the text format: what prom-client's own metrics hand the registry. */
  getForPromString(): Promise<Exported> {
    const values: ExportedValue[] = [];
    for (const s of this.all) this.export(s, values);
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** For JSON (getMetricsAsJSON): the series' labels merged into each sample's, as prom-client does. */
  async get(): Promise<Omit<Exported, 'values'> & { values: Array<Omit<ExportedValue, 'sharedLabels'>> }> {
    const { values, ...data } = await this.getForPromString();
    return { ...data, values: values.map(({ sharedLabels, labels, ...v }) => ({ ...v, labels: { ...labels, ...sharedLabels } })) };
  }
}
