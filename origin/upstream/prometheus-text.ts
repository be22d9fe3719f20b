/**
 * A bounded reader of the Prometheus text exposition format (an engine's /metrics): sample
 * lines only (`name{label="v",…} value [timestamp]`), comments and unparseable lines skipped.
 * Bounded because the engine is another program: past `maxBytes` of text or `maxSamples`
 * samples the rest is ignored, and only the families a caller asks for are kept.
 */

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface ReadLimits {
  maxBytes: number;
  maxSamples: number;
}

export const defaultReadLimits: ReadLimits = { maxBytes: 1 << 20, maxSamples: 20_000 };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** The labels between `{` and `}` from `at` (just past `{`); undefined when malformed. */
function parseLabels(line: string, at: number): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let i = at;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const name = NAME.exec(line.slice(i))?.[0];
    if (!name) return undefined;
    i += name.length;
    if (line[i] !== '=' || line[i + 1] !== '"') return undefined;
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return undefined;
      if (c === '"') break;
      if (c === '\\') {
        const n = line[i + 1];
        value += n === 'n' ? '\n' : (n ?? '');
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    labels[name] = value;
  }
}

/**
 * The samples of the families `wanted` names, by metric name (a histogram's `_bucket`, `_sum`
 * and `_count` are names of their own, as on the wire).
 */
export function readPrometheusText(text: string, wanted: ReadonlySet<string>, limits: ReadLimits = defaultReadLimits): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  const body = text.length > limits.maxBytes ? text.slice(0, text.lastIndexOf('\n', limits.maxBytes)) : text;
  let samples = 0;
  for (const raw of body.split('\n')) {
    if (samples >= limits.maxSamples) break;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    samples++;
    const name = NAME.exec(line)?.[0];
    if (!name || !wanted.has(name)) continue;
    let rest = name.length;
    let labels: Record<string, string> = {};
    if (line[rest] === '{') {
      const parsed = parseLabels(line, rest + 1);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = parsed.end;
    }
    const value = parseValue(line.slice(rest).trim().split(/\s+/)[0] ?? '');
    if (value === undefined) continue;
    let list = out.get(name);
    if (!list) out.set(name, (list = []));
    list.push({ labels, value });
  }
  return out;
}
