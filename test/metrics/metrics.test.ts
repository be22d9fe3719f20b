import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin } from '../../origin/node/server.ts';
import { freePort } from '../../sre/bench/lib/free-port.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { tempDir } from '../audit/helpers.ts';
import { until } from '../helpers/poll.ts';
import { chatJson, postJson } from '../helpers/request.ts';
import { scrape, sumOf } from './helpers.ts';

const TOKEN = 'metrics-token-0123456789';
const chat = (content: string, extra: Record<string, unknown> = {}) => chatJson(content, { model: 'gpt-oss:20b', ...extra });

/**
 * One origin in front of the simulator; traffic of every kind goes through it, and each metric
 * the issue names is checked to have moved from its value before the traffic.
 */
describe('metrics under simulator traffic', () => {
  let stack: OriginStack;
  const tmp = tempDir();
  let before: Map<string, number>;
  let after: Map<string, number>;
  let during: Map<string, number>;
  const post = (path: string, body: string, init: RequestInit = {}) => postJson(stack.origin.url + path, body, init);

  beforeAll(async () => {
    stack = await startOriginStack({
      sim: { timeScale: 0.05, preloaded: ['gpt-oss:20b'], version: '0.12.0' },
      origin: {
        stream: { keepaliveMs: 40 },
        admission: { defaultSlots: 1 },
        metrics: { token: TOKEN, gpuMemoryBytes: { sim: 137438953472 } },
        routing: { health: { intervalMs: 60_000 } },
        audit: { region: 'cr-sjo-1', batchWindowMs: 50, file: { dir: tmp.dir } },
      },
    });
    const watch = stack.origin.deps.telemetry!.watch;
    await watch.pollNow();
    before = await scrape(stack.origin.url, TOKEN);

    // Three long streams on one slot: two wait in the queue while the first generates.
    let finished = 0;
    const long = [0, 1, 2].map(() =>
      post('/v1/chat/completions', chat('long [[sim:tokens=600]]', { stream: true }))
        .then((r) => r.text())
        .finally(() => finished++),
    );
    // Each stream takes ~0.6 s (600 tokens at 50 tok/s, time scale 0.05), one at a time: scrape
    // until all three are open (one generating, two queued), however slow the machine is.
    await until(async () => {
      during = await scrape(stack.origin.url, TOKEN);
      return finished > 0 || sumOf(during, 'puerta_inflight_streams') >= 3;
    }, 20_000, 'three streams open');
    await Promise.all(long);

    // Keepalives while the first byte is slow; an upstream error mid-stream; a cancellation.
    await (await post('/v1/chat/completions', chat('slow [[sim:tokens=3,fault=slow-first-byte,ms=4000]]', { stream: true }))).text();
    await (await post('/v1/chat/completions', chat('x [[sim:tokens=10,fault=error,after=2]]', { stream: true }))).text();
    const ctl = new AbortController();
    const res = await post('/v1/chat/completions', chat('x [[sim:tokens=500]]', { stream: true }), { signal: ctl.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ctl.abort();
    await reader.read().catch(() => {});
    // Native route and non-streamed request; a cold model (a load event on the next poll).
    await (await post('/api/chat', chat('native [[sim:tokens=3]]'))).text();
    await (await post('/v1/chat/completions', JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'cold [[sim:tokens=2]]' }] }))).text();
    // The engine restarts with a new version.
    stack.sim.setOptions({ version: '0.12.1' });
    await watch.pollNow();
    // Streams settle and the audit batch is written after the responses end: poll until both show.
    await until(async () => {
      after = await scrape(stack.origin.url, TOKEN);
      return sumOf(after, 'puerta_inflight_streams') === 0 && sumOf(after, 'puerta_audit_records_written_total', 'sink="file"') > sumOf(before, 'puerta_audit_records_written_total', 'sink="file"');
    }, 10_000, 'streams settled and the audit batch written');
  }, 60_000);
  afterAll(async () => {
    await stack.close();
    tmp.cleanup();
  });

  const grew = (name: string, ...match: string[]) => {
    const a = sumOf(after, name, ...match);
    const b = sumOf(before, name, ...match);
    expect(a, `${name}{${match.join(',')}} before ${b}, after ${a}`).toBeGreaterThan(b);
  };

  it('needs the bearer token when one is configured', async () => {
    expect((await fetch(stack.origin.url + '/metrics')).status).toBe(401);
    expect((await fetch(stack.origin.url + '/metrics', { headers: { authorization: 'Bearer wrong-token-000000000' } })).status).toBe(401);
  });

  it('histograms by model and route: TTFT, inter-token, duration, queue wait, upstream first byte, connect', () => {
    const m = 'model="gpt-oss:20b"';
    const r = 'route="/v1/chat/completions"';
    grew('puerta_ttft_seconds_count', m, r);
    grew('puerta_inter_token_seconds_count', m, r);
    grew('puerta_request_duration_seconds_count', m, r);
    grew('puerta_queue_wait_seconds_count', m, r);
    grew('puerta_upstream_first_byte_seconds_count', m, r);
    grew('puerta_ttft_seconds_count', m, 'route="/api/chat"');
    grew('puerta_upstream_connect_seconds_count', 'upstream="sim"');
    // Queued streams really waited: some queue wait above the smallest bucket.
    expect(sumOf(after, 'puerta_queue_wait_seconds_sum', m)).toBeGreaterThan(0.05);
  });

  it('counters: requests by outcome, tokens by tenant, keepalives, cancellations, upstream errors', () => {
    grew('puerta_requests_total', 'outcome="ok"', 'status="200"');
    grew('puerta_requests_total', 'outcome="upstream_error"');
    grew('puerta_requests_total', 'outcome="client_cancelled"');
    grew('puerta_prompt_tokens_total', 'tenant="anonymous"', 'model="gpt-oss:20b"');
    grew('puerta_completion_tokens_total', 'tenant="anonymous"', 'model="gpt-oss:20b"');
    grew('puerta_keepalives_total', 'route="/v1/chat/completions"');
    grew('puerta_client_cancellations_total', 'phase="streaming"');
    grew('puerta_upstream_errors_total', 'upstream="sim"', 'kind="error"');
  });

  it('gauges: in-flight streams and queue depth while busy, back to zero after', () => {
    expect(sumOf(during, 'puerta_inflight_streams')).toBeGreaterThanOrEqual(3);
    expect(sumOf(during, 'puerta_queue_depth', 'model="gpt-oss:20b"')).toBeGreaterThanOrEqual(1);
    expect(sumOf(during, 'puerta_slots_active', 'model="gpt-oss:20b"')).toBe(1);
    expect(sumOf(during, 'puerta_slots_limit', 'model="gpt-oss:20b"')).toBe(1);
    expect(sumOf(after, 'puerta_inflight_streams')).toBe(0);
    expect(sumOf(after, 'puerta_queue_depth')).toBe(0);
  });

  it('upstream: health, models loaded and their VRAM, GPU memory, loads and restarts', () => {
    expect(sumOf(after, 'puerta_upstream_up', 'upstream="sim"')).toBe(1);
    expect(sumOf(after, 'puerta_upstream_models_loaded', 'upstream="sim"')).toBe(2);
    expect(sumOf(before, 'puerta_upstream_models_loaded', 'upstream="sim"')).toBe(1);
    expect(sumOf(after, 'puerta_upstream_model_vram_bytes', 'model="llama3.2:3b"')).toBeGreaterThan(0);
    expect(sumOf(after, 'puerta_upstream_gpu_memory_bytes', 'upstream="sim"')).toBe(137438953472);
    grew('puerta_upstream_model_loads_total', 'model="llama3.2:3b"');
    grew('puerta_upstream_restarts_total', 'reason="version_change"');
    expect(sumOf(after, 'puerta_upstream_info', 'version="0.12.1"')).toBe(1);
    expect(sumOf(after, 'puerta_upstream_info', 'version="0.12.0"')).toBe(0);
  });

  it('process figures: CPU, heap, and the event-loop lag the README says is sampled', () => {
    expect(sumOf(after, 'puerta_process_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sumOf(after, 'puerta_process_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    for (const q of ['min', 'mean', 'p50', 'p99']) expect(after.has(`puerta_process_nodejs_eventloop_lag_${q}_seconds`), q).toBe(true);
  });

  it('audit: records written per sink, batch write time', () => {
    grew('puerta_audit_records_written_total', 'sink="file"');
    grew('puerta_audit_batch_write_seconds_count', 'sink="file"');
  });

  it('Server-Timing on origin responses: queue wait, upstream first byte, origin total', async () => {
    const res = await post('/v1/chat/completions', chat('t [[sim:tokens=2]]', { stream: true }));
    const st = res.headers.get('server-timing') ?? '';
    await res.text();
    expect(st).toMatch(/queue;dur=\d+;desc="admission wait"/);
    expect(st).toMatch(/upstream;dur=\d+;desc="upstream first byte"/);
    expect(st).toMatch(/origin;dur=\d+/);
  });
});

describe('metrics: rejections and restarts detected without a version change', () => {
  it('counts rate-limit rejections by tenant', async () => {
    const stack = await startOriginStack({ sim: { timeScale: 0.02 }, origin: { quota: { store: 'memory', defaults: { requestsPerMinute: 1 } }, routing: { health: { intervalMs: 0 } } } });
    try {
      for (let i = 0; i < 3; i++) await (await postJson(stack.origin.url + '/v1/chat/completions', chat('x [[sim:tokens=1]]'))).text();
      const m = await scrape(stack.origin.url);
      expect(sumOf(m, 'puerta_rate_limit_rejections_total', 'tenant="anonymous"')).toBe(2);
      expect(sumOf(m, 'puerta_requests_total', 'outcome="rejected"', 'status="429"')).toBe(2);
    } finally {
      await stack.close();
    }
  });

  it('an engine that lost every model early, or came back from an outage without them, counts as a restart', async () => {
    const stack = await startOriginStack({ sim: { timeScale: 0.02, preloaded: ['gpt-oss:20b'] }, origin: { routing: { health: { intervalMs: 0 } } } });
    const watch = stack.origin.deps.telemetry!.watch;
    try {
      await watch.pollNow();
      // Every model unloaded long before its keep-alive ended (as after a crash and quick restart).
      await (await fetch(stack.sim.url + '/api/chat', { method: 'POST', body: JSON.stringify({ model: 'gpt-oss:20b', messages: [], keep_alive: 0 }) })).text();
      await watch.pollNow();
      let m = await scrape(stack.origin.url);
      expect(sumOf(m, 'puerta_upstream_restarts_total', 'reason="models_vanished"')).toBe(1);
      expect(sumOf(m, 'puerta_upstream_models_loaded')).toBe(0);
      // A model loaded again; the engine goes away and comes back without it: a restart.
      await (await postJson(stack.sim.url + '/api/chat', { model: 'gpt-oss:20b', messages: [], keep_alive: '1h' })).text();
      await watch.pollNow();
      const port = stack.sim.port;
      await stack.sim.close();
      await watch.pollNow();
      m = await scrape(stack.origin.url);
      expect(sumOf(m, 'puerta_upstream_up', 'upstream="sim"')).toBe(0);
      stack.sim = await startSimulator({ port, timeScale: 0.02 });
      await watch.pollNow();
      m = await scrape(stack.origin.url);
      expect(sumOf(m, 'puerta_upstream_up', 'upstream="sim"')).toBe(1);
      expect(sumOf(m, 'puerta_upstream_restarts_total', 'reason="models_vanished"')).toBe(2);
      // Back from an outage with the same version and nothing lost: no evidence, no restart.
      await stack.sim.close();
      await watch.pollNow();
      stack.sim = await startSimulator({ port, timeScale: 0.02 });
      await watch.pollNow();
      m = await scrape(stack.origin.url);
      expect(sumOf(m, 'puerta_upstream_up', 'upstream="sim"')).toBe(1);
      expect(sumOf(m, 'puerta_upstream_restarts_total')).toBe(2);
    } finally {
      await stack.close();
    }
  });

  it('an origin that starts before its engine reports no restart when the engine comes up', async () => {
    const port = await freePort();
    const o = await startOrigin({ env: {}, overrides: { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'sim', url: `http://127.0.0.1:${port}` }], routing: { health: { intervalMs: 0 } } } });
    let sim: Simulator | undefined;
    try {
      const watch = o.deps.telemetry!.watch;
      await watch.pollNow();
      expect(sumOf(await scrape(o.url), 'puerta_upstream_up', 'upstream="sim"')).toBe(0);
      sim = await startSimulator({ port, timeScale: 0.02, preloaded: ['gpt-oss:20b'] });
      await watch.pollNow();
      await watch.pollNow();
      const m = await scrape(o.url);
      expect(sumOf(m, 'puerta_upstream_up', 'upstream="sim"')).toBe(1);
      expect(sumOf(m, 'puerta_upstream_models_loaded', 'upstream="sim"')).toBe(1);
      expect(sumOf(m, 'puerta_upstream_restarts_total')).toBe(0);
      // The routing health took the same poll: the upstream is in rotation.
      expect(o.deps.router!.snapshot().upstreams[0]).toMatchObject({ name: 'sim', healthy: true });
    } finally {
      await o.close();
      await sim?.close();
    }
  });
});

