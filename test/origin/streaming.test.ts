import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChunkingProxy } from '../helpers/chunking-proxy.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { chatBody, postJson } from '../helpers/request.ts';
import { parseSse, readTimed } from '../helpers/sse.ts';
import { startOrigin } from '../../origin/node/server.ts';

const chat = (content: string, extra: Record<string, unknown> = {}) => chatBody(content, { stream: true, ...extra });

function contentOf(text: string): string {
  return parseSse(text)
    .filter((e) => e.data && e.data !== '[DONE]' && !e.event)
    .map((e) => (JSON.parse(e.data!) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
    .join('');
}

describe('SSE relay behaviour', () => {
  let stack: OriginStack;
  beforeAll(async () => {
    // Real-time simulator speed for the timing tests; short keepalive and idle limits.
    stack = await startOriginStack({ sim: { timeScale: 1 }, origin: { stream: { keepaliveMs: 150 } }, upstream: { idleTimeoutMs: 400 } });
  });
  afterAll(() => stack?.close());

  it('sends the SSE headers and relays chunks as they arrive, ending with [DONE]', async () => {
    const t0 = performance.now();
    const res = await postJson(`${stack.origin.url}/v1/chat/completions`, chat('Tell me about rivers [[sim:tokens=60]]'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const frames = await readTimed(res);
    const all = frames.map((f) => f.text).join('');
    expect(all.trimEnd().endsWith('data: [DONE]')).toBe(true);
    // 60 tokens at ~110 tok/s take ~550 ms; relayed chunks must spread over that time, not arrive at
    // once (the margin keeps a busy machine's stall from bunching the stream below the bound).
    const contentFrames = frames.filter((f) => f.text.includes('"content"'));
    expect(contentFrames.length).toBeGreaterThanOrEqual(10);
    const firstAt = contentFrames[0]!.at - t0;
    const spread = contentFrames[contentFrames.length - 1]!.at - contentFrames[0]!.at;
    expect(spread).toBeGreaterThan(150);
    expect(firstAt).toBeLessThan(spread + 200);
  });

  it('sends keepalive comments while the first byte is slow, then the answer', async () => {
    const res = await postJson(`${stack.origin.url}/v1/chat/completions`, chat('hola [[sim:fault=slow-first-byte,ms=700]] [[sim:tokens=3]]'));
    expect(res.status).toBe(200);
    const text = await res.text();
    const events = parseSse(text);
    const firstData = events.findIndex((e) => e.data !== undefined);
    const keepalivesBefore = events.slice(0, firstData).filter((e) => e.comment === 'keepalive').length;
    expect(keepalivesBefore).toBeGreaterThanOrEqual(3);
    expect(events[events.length - 1]!.data).toBe('[DONE]');
  });

  it('keeps the stream alive while a cold model loads', async () => {
    // gpt-oss:120b is not preloaded: a 35 s load at timeScale 1 is too long, so scale it down.
    stack.sim.setOptions({ timeScale: 0.02 });
    try {
      const res = await postJson(`${stack.origin.url}/v1/chat/completions`, { ...chat('hi [[sim:tokens=2]]'), model: 'gpt-oss:120b' });
      const events = parseSse(await res.text());
      expect(res.status).toBe(200);
      expect(events.filter((e) => e.comment === 'keepalive').length).toBeGreaterThanOrEqual(2);
      expect(events[events.length - 1]!.data).toBe('[DONE]');
    } finally {
      stack.sim.setOptions({ timeScale: 1 });
    }
  });

  const faults: Array<[string, string, string]> = [
    ['error line from Ollama', '[[sim:fault=error,after=3]]', 'upstream_error'],
    ['upstream socket reset', '[[sim:fault=reset,after=3]]', 'upstream_reset'],
    ['upstream silence beyond its limit', '[[sim:fault=stall,after=3]]', 'upstream_idle_timeout'],
    ['malformed upstream line', '[[sim:fault=malformed,after=3]]', 'upstream_malformed'],
  ];
  for (const [name, directive, code] of faults) {
    it(`ends with one event: error on ${name}`, async () => {
      const res = await postJson(`${stack.origin.url}/v1/chat/completions`, chat(`x ${directive} [[sim:tokens=20]]`));
      expect(res.status).toBe(200);
      const events = parseSse(await res.text());
      const last = events[events.length - 1]!;
      expect(last.event).toBe('error');
      const body = JSON.parse(last.data!) as { error: { code: string; type: string; message: string; retryable: boolean }; request_id: string };
      expect(body.error.code).toBe(code);
      expect(body.error.retryable).toBe(true);
      expect(body.request_id).toBe(res.headers.get('x-request-id'));
      expect(events.some((e) => e.data === '[DONE]')).toBe(false);
      expect(events.filter((e) => e.event === 'error')).toHaveLength(1);
      // Content before the failure was relayed.
      expect(events.filter((e) => e.data && !e.event).length).toBeGreaterThanOrEqual(3);
    });
  }

  it('maps an upstream error status before streaming to an HTTP error', async () => {
    const res = await postJson(`${stack.origin.url}/v1/chat/completions`, chat('x [[sim:fault=status,status=500]]'));
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('server_error');
  });
});

describe('UTF-8 and NDJSON lines split across every read', () => {
  let stack: OriginStack;
  let proxy: Awaited<ReturnType<typeof startChunkingProxy>>;
  let viaProxy: Awaited<ReturnType<typeof startOrigin>>;
  beforeAll(async () => {
    stack = await startOriginStack({ sim: { timeScale: 0.01 } });
    const port = Number(new URL(stack.sim.url).port);
    proxy = await startChunkingProxy({ host: '127.0.0.1', port }, 0);
    viaProxy = await startOrigin({ env: {}, overrides: { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'one-byte', url: `http://127.0.0.1:${proxy.port}` }] } });
  });
  afterAll(async () => {
    await viaProxy?.close();
    await proxy?.close();
    await stack?.close();
  });

  it('relays accented Spanish text intact when the upstream arrives one byte per read', async () => {
    const prompt = 'Cuéntame sobre el café de Costa Rica, por favor [[sim:tokens=25]]';
    const [split, whole] = await Promise.all([
      postJson(`${viaProxy.url}/v1/chat/completions`, chat(prompt)).then((r) => r.text()),
      postJson(`${stack.origin.url}/v1/chat/completions`, chat(prompt)).then((r) => r.text()),
    ]);
    const a = contentOf(split);
    expect(a).not.toContain('\uFFFD');
    expect(a).toMatch(/[áéíóúñ¿¡ü]/);
    expect(a).toBe(contentOf(whole));
    expect(split.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('relays native NDJSON byte-exact through one-byte reads', async () => {
    const body = { model: 'llama3.2:3b', messages: [{ role: 'user', content: '¿Qué tal? ñandú [[sim:tokens=15]]' }] };
    const text = await postJson(`${viaProxy.url}/api/chat`, body).then((r) => r.text());
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { done: boolean; message: { content: string } });
    expect(lines[lines.length - 1]!.done).toBe(true);
    expect(lines.map((l) => l.message.content).join('')).not.toContain('\uFFFD');
  });
});

describe('errors before the first byte', () => {
  let stack: OriginStack;
  beforeAll(async () => {
    stack = await startOriginStack({ sim: { timeScale: 0.05 }, origin: { server: { maxBodyBytes: 2048 } } });
  });
  afterAll(() => stack?.close());

  it('413 for a body over the limit, with the limit named', async () => {
    const res = await postJson(`${stack.origin.url}/v1/chat/completions`, chat('x'.repeat(5000)));
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { type: string; message: string }; request_id: string };
    expect(body.error.type).toBe('request_too_large');
    expect(body.error.message).toContain('2048');
    expect(body.request_id).toMatch(/^req_/);
  });

  it('400 naming the field, what was wrong and what is allowed', async () => {
    const cases: Array<[unknown, string]> = [
      [{ model: 'llama3.2:3b', messages: [] }, 'messages'],
      [{ model: 'llama3.2:3b', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
      [{ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x' }], temperature: 7 }, 'temperature'],
      [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    ];
    for (const [body, param] of cases) {
      const res = await postJson(`${stack.origin.url}/v1/chat/completions`, body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: { param: string; message: string; type: string } };
      expect(json.error.type).toBe('invalid_request_error');
      expect(json.error.param).toBe(param);
      expect(json.error.message).toContain(param);
    }
    const bad = await fetch(`${stack.origin.url}/v1/chat/completions`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
  });

  it('404 for an unknown model, listing what is served', async () => {
    const res = await postJson(`${stack.origin.url}/v1/chat/completions`, { ...chat('x'), model: 'gpt-9' });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string; param: string } };
    expect(body.error.code).toBe('model_not_found');
    expect(body.error.param).toBe('model');
    expect(body.error.message).toContain('llama3.2:3b');
  });

  it('503 with Retry-After when the upstream is down', async () => {
    const down = await startOrigin({ env: {}, overrides: { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'gone', url: 'http://127.0.0.1:9', models: ['llama3.2:3b'] }] } });
    try {
      const res = await postJson(`${down.url}/v1/chat/completions`, chat('x'));
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await res.json()) as { error: { code: string; type: string } };
      expect(body.error.code).toBe('upstream_connect');
      expect(body.error.type).toBe('server_error');
      const ready = await fetch(`${down.url}/readyz`);
      expect(ready.status).toBe(503);
    } finally {
      await down.close();
    }
  });

  it('503 with Retry-After when the upstream says it is busy', async () => {
    const res = await postJson(`${stack.origin.url}/v1/chat/completions`, chat('x [[sim:fault=status,status=503]]'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });

  it('answers health and readiness', async () => {
    expect((await fetch(`${stack.origin.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.origin.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { upstreams: Array<{ ok: boolean }> }).upstreams[0]!.ok).toBe(true);
  });
});
