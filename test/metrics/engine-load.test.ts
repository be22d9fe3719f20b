/** The bounded Prometheus text reader and the vLLM figures read from it. */
import fc from 'fast-check';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { readEngineLoad } from '../../origin/upstream/engine-load.ts';
import { readPrometheusText } from '../../origin/upstream/prometheus-text.ts';

describe('readPrometheusText', () => {
  it('reads back any label values and numbers prom-client writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.double({ noNaN: true })), { minLength: 1, maxLength: 8 }), async (rows) => {
        const registry = new Registry();
        const g = new Gauge({ name: 'vllm:num_requests_waiting', help: 'h', labelNames: ['model_name', 'i'], registers: [registry] });
        rows.forEach(([label, v], i) => g.set({ model_name: label, i: String(i) }, v));
        const got = readPrometheusText(await registry.metrics(), new Set(['vllm:num_requests_waiting'])).get('vllm:num_requests_waiting') ?? [];
        expect(got.map((s) => [s.labels.model_name, s.value])).toEqual(rows.map(([l, v]) => [l, Object.is(v, -0) ? 0 : v]));
      }),
      { numRuns: 50 },
    );
  });

  it('skips comments, other families and malformed lines, and stops at its limits', () => {
    const text = ['# HELP a x', 'a 1', 'a{broken 2', 'a{x="1"} nope', 'b 3', 'a{x="2"} 4 1700000000', 'a +Inf'].join('\n');
    expect(readPrometheusText(text, new Set(['a'])).get('a')).toEqual([
      { labels: {}, value: 1 },
      { labels: { x: '2' }, value: 4 },
      { labels: {}, value: Number.POSITIVE_INFINITY },
    ]);
    const many = Array.from({ length: 100 }, (_, i) => `a ${i}`).join('\n');
    expect(readPrometheusText(many, new Set(['a']), { maxBytes: 1 << 20, maxSamples: 10 }).get('a')).toHaveLength(10);
    expect(readPrometheusText(many, new Set(['a']), { maxBytes: 20, maxSamples: 1000 }).get('a')!.length).toBeLessThan(10);
  });
});

describe('readEngineLoad', () => {
  it('sums vLLM\'s per-model gauges, takes the fullest KV cache, and reads the v0 gauge name', () => {
    const v1 = [
      'vllm:num_requests_running{model_name="a",engine="0"} 2.0',
      'vllm:num_requests_running{model_name="b",engine="0"} 1.0',
      'vllm:num_requests_waiting{model_name="a",engine="0"} 3.0',
      'vllm:kv_cache_usage_perc{model_name="a",engine="0"} 0.25',
      'vllm:kv_cache_usage_perc{model_name="b",engine="0"} 0.75',
      'vllm:prefix_cache_queries_total{model_name="a",engine="0"} 100.0',
      'vllm:prefix_cache_hits_total{model_name="a",engine="0"} 40.0',
      'vllm:time_to_first_token_seconds_sum{model_name="a",engine="0"} 1.5',
      'vllm:time_to_first_token_seconds_count{model_name="a",engine="0"} 3.0',
    ].join('\n');
    expect(readEngineLoad(v1)).toEqual({
      running: 3, waiting: 3, kvCacheUsage: 0.75, prefixCacheQueries: 100, prefixCacheHits: 40,
      ttft: { sum: 1.5, count: 3 }, interToken: undefined,
    });
    expect(readEngineLoad('vllm:num_requests_waiting{model_name="x"} 1\nvllm:gpu_cache_usage_perc{model_name="x"} 0.5\nvllm:time_per_output_token_seconds_sum 2\nvllm:time_per_output_token_seconds_count 4')).toMatchObject({ waiting: 1, running: 0, kvCacheUsage: 0.5, interToken: { sum: 2, count: 4 } });
    expect(readEngineLoad('process_cpu_seconds_total 4')).toBeUndefined();
  });
});
