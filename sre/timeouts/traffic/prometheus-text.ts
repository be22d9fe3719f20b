/**
 * The Prometheus text exposition format (version 0.0.4), as far as histograms need it: samples
 * `name{label="value",…} value [timestamp]`, label values with `\\`, `\"` and `\n` escapes, comments
 * and `# TYPE` lines. Written here because the npm parser for it (parse-prometheus-text-format 1.1.1)
 * loses labels when `le` comes first, as prom-client writes it.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class ExpositionError extends Error {}

function parseValue(raw: string, line: number): number {
  if (raw === '+Inf' || raw === 'Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  if (raw === 'NaN') return Number.NaN;
  const v = Number(raw);
  if (raw === '' || Number.isNaN(v)) throw new ExpositionError(`line ${line}: ${JSON.stringify(raw)} is not a sample value`);
  return v;
}

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) throw new ExpositionError(`line ${n + 1}: no metric name in ${JSON.stringify(line.slice(0, 60))}`);
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      for (;;) {
        while (line[i] === ' ' || line[i] === ',') i++;
        if (line[i] === '}') {
          i++;
          break;
        }
        const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
        if (!key || line[i + key.length] !== '=' || line[i + key.length + 1] !== '"') throw new ExpositionError(`line ${n + 1}: malformed labels`);
        i += key.length + 2;
        let value = '';
        for (;;) {
          const c = line[i++];
          if (c === undefined) throw new ExpositionError(`line ${n + 1}: unterminated label value`);
          if (c === '"') break;
          if (c === '\\') {
            const e = line[i++];
            value += e === 'n' ? '\n' : (e ?? '');
          } else value += c;
        }
        labels[key] = value;
      }
    }
    const rest = line.slice(i).trim().split(/\s+/);
    out.push({ name, labels, value: parseValue(rest[0] ?? '', n + 1) });
  }
  return out;
}

/** A cumulative histogram: upper bounds (seconds, ascending, last +Inf) and counts at or below each. */
export interface CumulativeHistogram {
  bounds: number[];
  counts: number[];
}

/**
 * `<name>_bucket` series summed over every label set that matches `where` (all models and routes
 * unless narrowed), as Prometheus' `sum by (le)` would.
 */
export function histogramOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): CumulativeHistogram | undefined {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || s.labels.le === undefined) continue;
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    const le = parseValue(s.labels.le, 0);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  if (byLe.size === 0) return undefined;
  const bounds = [...byLe.keys()].sort((a, b) => a - b);
  return { bounds, counts: bounds.map((b) => byLe.get(b)!) };
}
