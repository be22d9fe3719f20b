/**
 * The origin's most important paths in front of the real Ollama server (0.17.4, tiny models):
 * streamed chat in both APIs with the official clients, the native relay byte for byte, embeddings,
 * a client leaving frees the engine's slot, queueing with keepalives, and the error event for a
 * stream the engine cut short (its token-repeat abort). Tool round trips stay on the simulator
 * (test/origin/openai-client.test.ts): a random-weight model cannot call tools.
 */
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { postJson } from '../helpers/request.ts';
import { parseSse } from '../helpers/sse.ts';
import { describeOllama, startOllama, tinyModels, warm, type OllamaProcess } from '../helpers/ollama.ts';

const hello = [{ role: 'user' as const, content: 'hello there, how are you today?' }];
/** The tiny model ends its turns on its stop word; replacing `stop` makes an answer run to num_predict. */
const endless = { stop: ['never-said'] };

describeOllama('origin in front of real Ollama', () => {
  let engine: OllamaProcess;
  let origin: RunningOrigin;
  let openai: OpenAI;
  let ollama: Ollama;

  beforeAll(async () => {
    engine = await startOllama({ numParallel: 1 });
    await warm(engine.url);
    origin = await startOrigin({
      env: {},
      overrides: { log: { level: 'silent' }, server: { port: 0 }, stream: { keepaliveMs: 150 }, upstreams: [{ name: 'ollama', url: engine.url }] },
    });
    openai = new OpenAI({ baseURL: `${origin.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    ollama = new Ollama({ host: origin.url });
  });
  afterAll(async () => {
    await origin?.close();
    await engine?.stop();
  });

  it('lists the engine\'s models on both APIs', async () => {
    const v1 = await openai.models.list();
    expect(v1.data.map((m) => m.id).sort()).toEqual([tinyModels.chat, tinyModels.embed, tinyModels.repeat]);
    const tags = await ollama.list();
    expect(tags.models.map((m) => m.name).sort()).toEqual([tinyModels.chat, tinyModels.embed, tinyModels.repeat]);
  });

  it('streams an OpenAI chat completion with usage (openai client)', async () => {
    const stream = await openai.chat.completions.create({ model: tinyModels.chat, messages: hello, stream: true, stream_options: { include_usage: true }, max_tokens: 12, seed: 11, ...endless });
    let text = '';
    let roles = 0;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      if (c?.delta.role) roles++;
      text += c?.delta.content ?? '';
      if (c?.finish_reason) finish = c.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(roles).toBe(1);
    expect(text.trim().split(/\s+/).length).toBeGreaterThan(3);
    expect(finish).toBe('length');
    expect(usage?.completion_tokens).toBe(12);
    expect(usage?.prompt_tokens).toBeGreaterThan(5);
  });

  it('ends a natural turn with finish_reason stop (the model\'s stop word)', async () => {
    const res = await openai.chat.completions.create({ model: tinyModels.chat, messages: hello, max_tokens: 400, seed: 2 });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.choices[0]!.message.content).not.toContain('<|end_turn|>');
  });

  it('streams a native chat (ollama client) and relays the engine\'s lines byte for byte', async () => {
    const body = { model: tinyModels.chat, messages: hello, options: { seed: 5, num_predict: 10 } };
    const parts: string[] = [];
    let final: { done_reason?: string; eval_count?: number } | undefined;
    for await (const part of await ollama.chat({ ...body, stream: true })) {
      parts.push(part.message.content);
      if (part.done) final = part;
    }
    expect(final).toMatchObject({ done_reason: 'length', eval_count: 10 });
    // Same seed, same model: the engine answers the same tokens, so the relayed content equals the direct one.
    const direct = await (await postJson(`${engine.url}/api/chat`, body)).text();
    const relayed = await (await postJson(`${origin.url}/api/chat`, body)).text();
    const content = (t: string) => t.trim().split('\n').map((l) => (JSON.parse(l) as { message: { content: string } }).message.content);
    expect(content(relayed)).toEqual(content(direct));
    expect(content(relayed).join('')).toBe(parts.join(''));
    const strip = (t: string) => t.replace(/"created_at":"[^"]+"/g, '').replace(/"\w+_duration":\d+/g, '');
    expect(strip(relayed)).toBe(strip(direct));
  });

  it('generates, native, streamed and whole', async () => {
    const whole = await ollama.generate({ model: tinyModels.chat, prompt: 'once upon a time', options: { seed: 3, num_predict: 6, ...endless } });
    expect(whole).toMatchObject({ done: true, done_reason: 'length', eval_count: 6 });
    let n = 0;
    for await (const part of await ollama.generate({ model: tinyModels.chat, prompt: 'once upon a time', stream: true, options: { seed: 3, num_predict: 6, ...endless } })) if (!part.done) n++;
    expect(n).toBe(6);
  });

  it('embeds on both APIs (normalised 64-dimensional vectors)', async () => {
    const native = await ollama.embed({ model: tinyModels.embed, input: ['uno', 'dos tres'] });
    expect(native.embeddings.map((v) => v.length)).toEqual([64, 64]);
    const norm = Math.hypot(...native.embeddings[0]!);
    expect(norm).toBeCloseTo(1, 3);
    const v1 = await openai.embeddings.create({ model: tinyModels.embed, input: ['uno', 'dos tres'] });
    expect(v1.data.map((d) => d.embedding.length)).toEqual([64, 64]);
    expect(v1.data[0]!.embedding[0]).toBeCloseTo(native.embeddings[0]![0]!, 5);
  });

  it('a client that leaves frees the engine\'s only slot at once', async () => {
    const ctl = new AbortController();
    const res = await postJson(`${origin.url}/v1/chat/completions`, { model: tinyModels.chat, messages: hello, stream: true, max_tokens: 100_000, ...endless }, { signal: ctl.signal });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    ctl.abort();
    // The next request on the one slot starts without waiting for the abandoned answer.
    const t0 = performance.now();
    const next = await postJson(`${engine.url}/api/generate`, { model: tinyModels.chat, prompt: 'hi', stream: false, options: { num_predict: 2 } });
    expect(next.status).toBe(200);
    await next.text();
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('queues behind a busy slot with keepalive comments, then answers when the slot frees', async () => {
    const hog = new AbortController();
    const busy = await postJson(`${engine.url}/api/chat`, { model: tinyModels.chat, messages: hello, options: { num_predict: 100_000, ...endless } }, { signal: hog.signal });
    const hogReader = busy.body!.getReader();
    await hogReader.read();
    const waiting = postJson(`${origin.url}/v1/chat/completions`, { model: tinyModels.chat, messages: hello, stream: true, max_tokens: 3 }).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 800));
    hog.abort();
    const events = parseSse(await waiting);
    const firstData = events.findIndex((e) => e.data !== undefined);
    expect(events.slice(0, firstData).filter((e) => e.comment === 'keepalive').length).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)!.data).toBe('[DONE]');
  });

  it('an engine stream cut short (token-repeat abort) ends with one error event, not [DONE]', async () => {
    const res = await postJson(`${origin.url}/v1/chat/completions`, { model: tinyModels.repeat, messages: hello, stream: true, max_tokens: 200 });
    expect(res.status).toBe(200);
    const events = parseSse(await res.text());
    const errors = events.filter((e) => e.event === 'error');
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0]!.data!)).toMatchObject({ error: { code: 'upstream_truncated' } });
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);
  });

  it('an unknown model is a 404 in each API\'s own shape', async () => {
    const v1 = await postJson(`${origin.url}/v1/chat/completions`, { model: 'nope', messages: hello });
    expect(v1.status).toBe(404);
    expect(((await v1.json()) as { error: { type: string } }).error.type).toBeDefined();
    const native = await postJson(`${origin.url}/api/chat`, { model: 'nope', messages: hello });
    expect(native.status).toBe(404);
    expect(await native.json()).toHaveProperty('error');
  });
});
