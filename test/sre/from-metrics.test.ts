/**
 * `check:timeouts --from-metrics`: a real bench run through a real origin (Server-Timing gives the
 * queue wait and engine first byte per request), then proposals from its result file and from the
 * origin's own /metrics; and the exposition parser on its own.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../sre/bench/cli.ts';
import { serverTiming } from '../../sre/bench/client.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { runCli } from '../../sre/timeouts/cli.ts';
import { fromHistogram } from '../../sre/timeouts/traffic/observed.ts';
import { histogramOf, parseExposition } from '../../sre/timeouts/traffic/prometheus-text.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function cli(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runCli(args, root, (s) => lines.push(s));
  return { code, text: lines.join('\n') };
}

describe('check:timeouts --from-metrics', () => {
  let stack: OriginStack;
  let results: string;
  const dir = mkdtempSync(join(tmpdir(), 'puerta-from-metrics-'));

  beforeAll(async () => {
    // One slot: concurrent requests queue in the origin, so queue waits are real.
    stack = await startOriginStack({ sim: { timeScale: 0.05 }, origin: { admission: { defaultSlots: 1 } } });
    const r = await runBench([
      '--url', stack.origin.url, '--model', 'gpt-oss:20b', '--sim', '--concurrency', '1,3', '--duration', '5s', '--requests', '6',
      '--input-tokens', '32', '--output-tokens', '16', '--out', dir, '--label', 'traffic', '--no-progress', '--no-plots',
    ]);
    results = join(r!.dir, 'results.json');
  }, 120_000);
  afterAll(() => stack?.close());

  it('proposes a value for each timeout from a bench result, with the evidence beside it', async () => {
    const { code, text } = await cli(['--from-metrics', results, '--json']);
    expect(code, text).toBe(0);
    const r = JSON.parse(text) as { proposals: Array<{ setting: string; todayMs: number; proposedMs?: number; verdict: string; evidence: string }> };
    const by = (s: string) => r.proposals.find((p) => p.setting.includes(s))!;
    for (const s of ['fastly BETWEEN_BYTES_TIMEOUT_MS', 'fastly FIRST_BYTE_TIMEOUT_MS', 'firstByteTimeoutMs', 'idleTimeoutMs', 'admission.queueWaitMs']) {
      expect(by(s), s).toBeDefined();
      expect(by(s).verdict, `${s}: ${by(s).evidence}`).toBe('ok');
      expect(by(s).proposedMs).toBeGreaterThan(0);
    }
    expect(by('fastly FIRST_BYTE_TIMEOUT_MS').evidence).toMatch(/admission queue wait: p99\.9 .*engine first byte \(model load \+ prefill\): p99\.9/);
    expect(by('BETWEEN_BYTES').evidence).toMatch(/inter-token gap: p99\.9 \d+ ms, worst \d+ ms max at load \d/);
    // Shielding: never above Fastly's 60 s between its nodes.
    expect(by('BETWEEN_BYTES').proposedMs).toBeLessThanOrEqual(60_000);
    const plain = await cli(['--from-metrics', results]);
    expect(plain.text).toMatch(/timeout\s+today\s+proposed\s+today vs traffic\s+evidence/);
    expect(plain.text).toContain('no timeout of today’s config would have cut the observed requests');
  });

  it("flags where today's value would have cut real requests, and exits 1", async () => {
    const env = join(dir, 'origin.env');
    writeFileSync(env, 'OLLAMA_URL=http://127.0.0.1:11434\nUPSTREAM_FIRST_BYTE_TIMEOUT_MS=5\n');
    const { code, text } = await cli(['--from-metrics', results, '--origin-env', env]);
    expect(code, text).toBe(1);
    expect(text).toMatch(/origin upstreams\['default'\]\.firstByteTimeoutMs\s+5 ms\s+\S+ (ms|s)\s+WOULD CUT/);
    expect(text).toContain("today’s config would have cut real requests at: origin upstreams['default'].firstByteTimeoutMs");
  });

  it("reads the origin's own histograms from its /metrics", async () => {
    const { code, text } = await cli(['--from-metrics', `${stack.origin.url}/metrics`, '--json', '--edge', 'workers']);
    expect(code, text).toBe(0);
    const r = JSON.parse(text) as { source: string; proposals: Array<{ setting: string; evidence: string; verdict: string }> };
    expect(r.source).toBe(`${stack.origin.url}/metrics`);
    const fb = r.proposals.find((p) => p.setting === 'workers FIRST_BYTE_TIMEOUT_MS')!;
    expect(fb.evidence).toMatch(/admission queue wait: p99\.9 .* \(\d+ observed\)/);
    expect(r.proposals.every((p) => p.verdict !== 'no data')).toBe(true);
  });

  it('refuses a file that is neither a bench result nor Prometheus text, naming it', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"tool":"something else"}');
    const r = await cli(['--from-metrics', bad]);
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/bad\.json: not a bench result/);
  });
});

describe('Prometheus text and histograms', () => {
  const text = [
    '# HELP puerta_ttft_seconds x',
    '# TYPE puerta_ttft_seconds histogram',
    'puerta_ttft_seconds_bucket{le="0.5",model="a",route="/v1/chat/completions"} 2',
    'puerta_ttft_seconds_bucket{le="1",model="a",route="/v1/chat/completions"} 3',
    'puerta_ttft_seconds_bucket{le="+Inf",model="a",route="/v1/chat/completions"} 4',
    'puerta_ttft_seconds_bucket{le="0.5",model="b \\"x\\"",route="/api/chat"} 0',
    'puerta_ttft_seconds_bucket{le="1",model="b \\"x\\"",route="/api/chat"} 1',
    'puerta_ttft_seconds_bucket{le="+Inf",model="b \\"x\\"",route="/api/chat"} 1',
    'puerta_ttft_seconds_count{model="a",route="/v1/chat/completions"} 4 1700000000000',
  ].join('\n');

  it('keeps labels (le first, escapes) and sums buckets over series like sum by (le)', () => {
    const samples = parseExposition(text);
    expect(samples[3]!.labels).toEqual({ le: '0.5', model: 'b "x"', route: '/api/chat' });
    expect(histogramOf(samples, 'puerta_ttft_seconds')).toEqual({ bounds: [0.5, 1, Number.POSITIVE_INFINITY], counts: [2, 4, 5] });
    expect(histogramOf(samples, 'puerta_ttft_seconds', { model: 'a' })!.counts).toEqual([2, 3, 4]);
  });

  it('interpolates quantiles as histogram_quantile does and knows the worst only to a bucket', () => {
    const o = fromHistogram('TTFT', histogramOf(parseExposition(text), 'puerta_ttft_seconds')!, 'test')!;
    expect(o.quantileMs(0.4)).toBeCloseTo(500);
    expect(o.quantileMs(0.6)).toBeCloseTo(750);
    expect(o.worst.text).toMatch(/> 1 s \(1 beyond the last bucket\)/);
    expect(o.above(400)).toEqual({ n: 3, text: '3 of 5 above 500 ms' });
    expect(o.above(45_000).text).toBe('unknown: 1 above the last bucket (1 s), 45 s is past it');
    const bounded = fromHistogram('gap', { bounds: [0.5, 1, Number.POSITIVE_INFINITY], counts: [2, 4, 4] }, 'test')!;
    expect(bounded.above(45_000)).toEqual({ n: 0, text: 'none above 1 s (the last bucket), so none above 45 s' });
  });

  it("reads the origin's Server-Timing entries", () => {
    expect(serverTiming('queue;dur=12;desc="admission wait", upstream;dur=340.5;desc="upstream first byte", origin;dur=360')).toEqual({ queueMs: 12, upstreamMs: 340.5 });
  });
});
