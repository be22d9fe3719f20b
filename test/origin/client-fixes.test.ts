/**
 * What running the real clients found (issue 9, "Fixes found by running the clients"), each
 * checked at the origin in front of the simulator, with a recording proxy between them to read
 * exactly what the origin sent to the engine.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import type { RequestRecord } from '../../origin/core/record.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { startRecordingProxy, type Recorded } from '../helpers/recording-proxy.ts';

let sim: Simulator;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
let origin: RunningOrigin;
const ended: RequestRecord[] = [];

beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.01, preloaded: ['gpt-oss:20b', 'llama3.2:3b', 'nomic-embed-text:latest'] });
  proxy = await startRecordingProxy(sim.url);
  origin = await startOrigin({
    env: {},
    overrides: { log: { level: 'silent' }, server: { port: 0 }, auth: { mode: 'none' }, upstreams: [{ name: 'sim', url: proxy.url }] },
    setup: (deps) => deps.observers.add({ onEnd: (rec) => ended.push(rec) }),
  });
});
afterAll(async () => {
  await origin?.close();
  await proxy?.close();
  await sim?.close();
});

const post = (path: string, body: unknown) => fetch(`${origin.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The last request the origin sent the engine on `path`. */
function lastSent(path: string): Record<string, unknown> {
  const r = [...proxy.requests].reverse().find((x: Recorded) => x.path.split('?')[0] === path);
  if (!r) throw new Error(`nothing was sent to ${path}`);
  return r.json as Record<string, unknown>;
}

const openai = () => new OpenAI({ baseURL: `${origin.url}/v1`, apiKey: 'none', maxRetries: 0 });

describe('tool call ids reach the engine', () => {
  it('assistant tool_calls keep their id and each tool result its tool_call_id (two results of one function stay apart)', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'gpt-oss:20b',
      messages: [
        { role: 'user', content: 'weather in two cities [[sim:tokens=3]]' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_paris', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_rome', content: 'rain' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    expect(res.status).toBe(200);
    await res.text();
    const sent = lastSent('/api/chat') as { messages: Array<{ role: string; tool_calls?: Array<{ id?: string; function: { name: string } }>; tool_call_id?: string; tool_name?: string }> };
    const assistant = sent.messages.find((m) => m.role === 'assistant');
    expect(assistant?.tool_calls?.map((c) => c.id)).toEqual(['call_paris', 'call_rome']);
    const results = sent.messages.filter((m) => m.role === 'tool');
    expect(results.map((m) => [m.tool_call_id, m.tool_name])).toEqual([
      ['call_paris', 'get_weather'],
      ['call_rome', 'get_weather'],
    ]);
  });
});

describe('reasoning effort', () => {
  const cases: Array<[Record<string, unknown>, unknown]> = [
    [{ reasoning_effort: 'none' }, false],
    [{ reasoning_effort: 'minimal' }, 'low'],
    [{ reasoning_effort: 'low' }, 'low'],
    [{ reasoning_effort: 'medium' }, 'medium'],
    [{ reasoning_effort: 'high' }, 'high'],
    [{ reasoning_effort: 'xhigh' }, 'high'],
    [{ reasoning: { effort: 'medium' } }, 'medium'],
    [{ reasoning: { effort: 'none' } }, false],
  ];
  it.each(cases)('%j → think %j', async (extra, think) => {
    const res = await post('/v1/chat/completions', { model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'x [[sim:tokens=4]]' }], ...extra });
    expect(res.status, await res.clone().text()).toBe(200);
    await res.text();
    expect(lastSent('/api/chat').think).toEqual(think);
  });

  it('an unknown effort is a 400 naming the field and what is allowed', async () => {
    const res = await post('/v1/chat/completions', { model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'x' }], reasoning_effort: 'extreme' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe('reasoning_effort');
    expect(body.error.message).toMatch(/none.*minimal.*low.*medium.*high.*xhigh/);
  });

  it('earlier reasoning comes back as reasoning_content or reasoning, and reaches the engine as thinking', async () => {
    for (const field of ['reasoning_content', 'reasoning']) {
      const res = await post('/v1/chat/completions', {
        model: 'gpt-oss:20b',
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'a', [field]: `I thought (${field})` },
          { role: 'user', content: 'more [[sim:tokens=3]]' },
        ],
      });
      expect(res.status).toBe(200);
      await res.text();
      const sent = lastSent('/api/chat') as { messages: Array<{ role: string; thinking?: string }> };
      expect(sent.messages[1]?.thinking).toBe(`I thought (${field})`);
    }
  });

  it('streamed and whole answers carry thinking in both reasoning_content and reasoning', async () => {
    const stream = await openai().chat.completions.create({ model: 'gpt-oss:20b', reasoning_effort: 'low', stream: true, messages: [{ role: 'user', content: 'x [[sim:tokens=30]]' }] });
    let a = '';
    let b = '';
    for await (const c of stream) {
      const d = c.choices[0]?.delta as { reasoning?: string; reasoning_content?: string } | undefined;
      a += d?.reasoning ?? '';
      b += d?.reasoning_content ?? '';
    }
    expect(a.length).toBeGreaterThan(0);
    expect(b).toBe(a);
    const whole = await openai().chat.completions.create({ model: 'gpt-oss:20b', reasoning_effort: 'low', messages: [{ role: 'user', content: 'x [[sim:tokens=30]]' }] });
    const m = whole.choices[0]?.message as unknown as { reasoning?: string; reasoning_content?: string };
    expect(m.reasoning?.length).toBeGreaterThan(0);
    expect(m.reasoning_content).toBe(m.reasoning);
  });
});

describe('logprobs', () => {
  it('are forwarded and returned in OpenAI shape (whole and streamed)', async () => {
    const whole = await openai().chat.completions.create({ model: 'llama3.2:3b', logprobs: true, top_logprobs: 2, messages: [{ role: 'user', content: 'x [[sim:tokens=5]]' }] });
    expect(lastSent('/api/chat')).toMatchObject({ logprobs: true, top_logprobs: 2 });
    const content = whole.choices[0]?.logprobs?.content ?? [];
    expect(content).toHaveLength(5);
    expect(content.map((c) => c.token).join('')).toBe(whole.choices[0]?.message.content);
    for (const c of content) {
      expect(c.logprob).toBeLessThanOrEqual(0);
      expect(Buffer.from(c.bytes ?? []).toString('utf8')).toBe(c.token);
      expect(c.top_logprobs).toHaveLength(2);
      expect(c.top_logprobs[0]).toMatchObject({ token: expect.any(String), logprob: expect.any(Number) });
    }
    const stream = await openai().chat.completions.create({ model: 'llama3.2:3b', logprobs: true, stream: true, messages: [{ role: 'user', content: 'x [[sim:tokens=4]]' }] });
    let n = 0;
    for await (const c of stream) n += c.choices[0]?.logprobs?.content?.length ?? 0;
    expect(n).toBe(4);
  });

  it('out-of-range top_logprobs is a 400 naming it', async () => {
    const res = await post('/v1/chat/completions', { model: 'llama3.2:3b', logprobs: true, top_logprobs: 21, messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('top_logprobs');
  });
});

describe('models and probes', () => {
  it('GET /v1/models/{id} answers one model, or 404 in OpenAI shape', async () => {
    const m = await openai().models.retrieve('gpt-oss:20b');
    expect(m).toMatchObject({ id: 'gpt-oss:20b', object: 'model', owned_by: expect.any(String) });
    expect(typeof m.created).toBe('number');
    const none = await fetch(`${origin.url}/v1/models/nope:1b`);
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
  });

  it('GET / and HEAD / answer "Ollama is running" as Ollama does', async () => {
    const get = await fetch(`${origin.url}/`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('Ollama is running');
    const head = await fetch(`${origin.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('embeddings with token-array input get a 400 that says so', async () => {
    for (const input of [[1, 2, 3], [[1, 2], [3]]]) {
      const res = await post('/v1/embeddings', { model: 'nomic-embed-text', input });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { param: string; message: string } };
      expect(body.error.param).toBe('input');
      expect(body.error.message).toMatch(/token/i);
    }
  });
});

describe('native routes', () => {
  it('a stream the engine ends without done:true is upstream_truncated, and the client gets an Ollama error line', async () => {
    ended.length = 0;
    const res = await post('/api/chat', { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x [[sim:fault=repeat,after=1]]' }] });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { done?: boolean; error?: string });
    const last = lines[lines.length - 1]!;
    expect(typeof last.error).toBe('string');
    expect(lines.some((l) => l.done === true)).toBe(false);
    await expect.poll(() => ended.find((r) => r.route === '/api/chat')).toBeDefined();
    const rec = ended.find((r) => r.route === '/api/chat')!;
    expect(rec.outcome).toBe('upstream_error');
    expect(rec.errorCode).toBe('upstream_truncated');
  });

  it('the same holds for /api/generate and for a whole (non-streamed) answer', async () => {
    const gen = await post('/api/generate', { model: 'llama3.2:3b', prompt: 'x [[sim:fault=repeat,after=1]]' });
    const lines = (await gen.text()).trim().split('\n').map((l) => JSON.parse(l) as { error?: string });
    expect(typeof lines[lines.length - 1]!.error).toBe('string');
    const whole = await post('/api/chat', { model: 'llama3.2:3b', stream: false, messages: [{ role: 'user', content: 'x [[sim:fault=repeat,after=1]]' }] });
    expect(whole.status).toBe(502);
    expect(typeof ((await whole.json()) as { error: unknown }).error).toBe('string');
  });

  it("errors keep Ollama's own text", async () => {
    const refused = await post('/api/chat', { model: 'llama3.2:3b', think: true, messages: [{ role: 'user', content: 'x' }] });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('"llama3.2:3b" does not support thinking');
    const failed = await post('/api/chat', { model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'x [[sim:fault=status,status=500,message=llama%20runner%20process%20has%20terminated]]' }] });
    expect(((await failed.json()) as { error: string }).error).toBe('llama runner process has terminated');
  });
});
