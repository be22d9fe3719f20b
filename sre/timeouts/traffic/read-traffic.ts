/**
 * Observed traffic for `check:timeouts --from-metrics`: the origin's /metrics (a URL ending in
 * /metrics, or a saved dump), a Prometheus server (its query API, over a window), or a bench
 * result JSON (`npm run bench` results.json). Each yields the same four distributions (and the
 * origin's own, request durations too).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigReadError } from '../sources/read-config.ts';
import { fromBenchSteps, fromHistogram, type Observed } from './observed.ts';
import { histogramOf, parseExposition, type CumulativeHistogram } from './prometheus-text.ts';

export interface Traffic {
  ttft?: Observed;
  gap?: Observed;
  queueWait?: Observed;
  /** Admission to engine headers: the engine's scheduling, a model load, prefill. */
  engineFirstByte?: Observed;
  /** Received to last byte: what a client's total timer must outlast (the origin's /metrics only). */
  duration?: Observed;
  source: string;
}

const HISTOGRAMS = {
  ttft: ['puerta_ttft_seconds', 'TTFT (request to first content byte)'],
  gap: ['puerta_inter_token_seconds', 'inter-token gap'],
  queueWait: ['puerta_queue_wait_seconds', 'admission queue wait'],
  engineFirstByte: ['puerta_upstream_first_byte_seconds', 'engine first byte (model load + prefill)'],
  duration: ['puerta_request_duration_seconds', 'request duration (to the last byte)'],
} as const;

function fromHistograms(get: (name: string) => CumulativeHistogram | undefined, source: string): Traffic {
  const t: Traffic = { source };
  for (const [key, [name, what]] of Object.entries(HISTOGRAMS) as Array<[keyof typeof HISTOGRAMS, readonly [string, string]]>) {
    const h = get(name);
    const o = h && fromHistogram(what, h, `${source} ${name}`);
    if (o) t[key] = o;
  }
  return t;
}

export function trafficFromExposition(text: string, source: string, where: Record<string, string> = {}): Traffic {
  const samples = parseExposition(text);
  return fromHistograms((name) => histogramOf(samples, name, where), source);
}

const dist = z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable(), p999: z.number().nullable().optional(), max: z.number().nullable().optional() });
const benchSchema = z.object({
  tool: z.literal('puerta bench'),
  steps: z.array(
    z.object({
      load: z.number(),
      ok: z.number(),
      ttftMs: dist,
      itlMs: dist,
      queueMs: dist.optional(),
      upstreamFirstByteMs: dist.optional(),
      target: z.string().optional(),
    }),
  ),
});

export function trafficFromBench(json: unknown, source: string): Traffic {
  const parsed = benchSchema.safeParse(json);
  if (!parsed.success) throw new ConfigReadError(source, undefined, `not a bench result (npm run bench results.json): ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  // A run with --direct measured the engine too; only the path through Puerta has Puerta's timeouts.
  const steps = parsed.data.steps.filter((s) => s.target !== 'direct');
  const pick = (key: 'ttftMs' | 'itlMs' | 'queueMs' | 'upstreamFirstByteMs') =>
    steps.flatMap((s) => {
      const d = s[key];
      return d && d.p50 !== null && d.p95 !== null && d.p99 !== null ? [{ load: s.load, ok: s.ok, dist: { p50: d.p50, p95: d.p95, p99: d.p99, p999: d.p999 ?? null, max: d.max ?? null } }] : [];
    });
  const t: Traffic = { source };
  const set = (k: keyof typeof HISTOGRAMS, key: Parameters<typeof pick>[0]) => {
    const o = fromBenchSteps(HISTOGRAMS[k][1], pick(key), `${source} steps[].${key}`);
    if (o) t[k] = o;
  };
  set('ttft', 'ttftMs');
  set('gap', 'itlMs');
  set('queueWait', 'queueMs');
  set('engineFirstByte', 'upstreamFirstByteMs');
  return t;
}

/** `sum by (le) (increase(<name>_bucket[window]))` from a Prometheus server. */
async function trafficFromPrometheus(base: string, window: string, where: Record<string, string>): Promise<Traffic> {
  const selector = Object.entries(where).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
  return fromHistogramsAsync(async (name) => {
    const url = new URL('/api/v1/query', base);
    url.searchParams.set('query', `sum by (le) (increase(${name}_bucket{${selector}}[${window}]))`);
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    if (!res.ok) throw new Error(`Prometheus at ${base} answered ${res.status} to ${url.searchParams.get('query')}`);
    const body = (await res.json()) as { data?: { result?: Array<{ metric: { le?: string }; value: [number, string] }> } };
    const rows = (body.data?.result ?? []).filter((r) => r.metric.le !== undefined);
    if (rows.length === 0) return undefined;
    const byLe = rows.map((r) => [r.metric.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(r.metric.le), Number(r.value[1])] as const).sort((a, b) => a[0] - b[0]);
    return { bounds: byLe.map(([b]) => b), counts: byLe.map(([, c]) => c) };
  }, `Prometheus ${base} (last ${window})`);
}

async function fromHistogramsAsync(get: (name: string) => Promise<CumulativeHistogram | undefined>, source: string): Promise<Traffic> {
  const got = new Map<string, CumulativeHistogram | undefined>();
  for (const [name] of Object.values(HISTOGRAMS)) got.set(name, await get(name));
  return fromHistograms((name) => got.get(name), source);
}

export async function readTraffic(source: string, opts: { window?: string; model?: string; token?: string } = {}): Promise<Traffic> {
  const where: Record<string, string> = opts.model ? { model: opts.model } : {};
  if (/^https?:\/\//.test(source)) {
    const url = new URL(source);
    if (url.pathname.endsWith('/metrics')) {
      const res = await fetch(url, { signal: AbortSignal.timeout(15_000), ...(opts.token ? { headers: { authorization: `Bearer ${opts.token}` } } : {}) });
      if (!res.ok) throw new Error(`${source} answered ${res.status}${res.status === 401 ? ' (pass --metrics-token)' : ''}`);
      return trafficFromExposition(await res.text(), source, where);
    }
    return trafficFromPrometheus(source, opts.window ?? '7d', where);
  }
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new ConfigReadError(source, undefined, `cannot read: ${(err as Error).message}`);
  }
  if (text.trimStart().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ConfigReadError(source, undefined, `not valid JSON: ${(err as Error).message}`);
    }
    return trafficFromBench(json, source);
  }
  try {
    return trafficFromExposition(text, source, where);
  } catch (err) {
    throw new ConfigReadError(source, undefined, `not Prometheus text format: ${(err as Error).message}`);
  }
}
