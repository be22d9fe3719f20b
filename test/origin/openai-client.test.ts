import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';

let stack: OriginStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startOriginStack({ sim: { timeScale: 0.05 } });
  client = new OpenAI({ baseURL: `${stack.origin.url}/v1`, apiKey: 'unused-in-auth-mode-none', maxRetries: 0 });
});
afterAll(() => stack?.close());

describe('official openai client against the origin (Ollama upstream)', () => {
  it('streams a chat completion with usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-oss:20b',
      messages: [{ role: 'user', content: 'Explícame la fotosíntesis [[sim:tokens=12]]' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let roles = 0;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.role) roles++;
      text += choice?.delta.content ?? '';
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(10);
    expect(roles).toBe(1);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(12);
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('answers a non-streaming chat completion', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-oss:20b',
      messages: [{ role: 'user', content: 'Hola [[sim:tokens=5]]' }],
      max_tokens: 3,
    });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]?.message.role).toBe('assistant');
    expect(res.choices[0]?.finish_reason).toBe('length');
    expect(res.usage?.completion_tokens).toBe(3);
  });

  it('streams and answers legacy text completions', async () => {
    const res = await client.completions.create({ model: 'llama3.2:3b', prompt: 'Once upon a time [[sim:tokens=6]]' });
    expect(res.choices[0]?.text.length).toBeGreaterThan(0);
    expect(res.usage?.completion_tokens).toBe(6);
    const stream = await client.completions.create({ model: 'llama3.2:3b', prompt: 'Érase una vez [[sim:tokens=6]]', stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('creates embeddings (the SDK asks for base64 and decodes it)', async () => {
    const res = await client.embeddings.create({ model: 'nomic-embed-text', input: ['uno', 'dos'] });
    expect(res.data).toHaveLength(2);
    const v = res.data[0]!.embedding;
    expect(v).toHaveLength(768);
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 3);
    const floats = await client.embeddings.create({ model: 'nomic-embed-text', input: 'uno', encoding_format: 'float' });
    expect(floats.data[0]!.embedding[0]).toBeCloseTo(v[0]!, 5);
  });

  it('lists models', async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain('gpt-oss:20b');
    expect(ids).toContain('nomic-embed-text:latest');
  });

  it('raises NotFoundError with the OpenAI error shape for an unknown model', async () => {
    const err = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });
});

describe('official openai client through an OpenAI-compatible upstream (kind: openai)', () => {
  let openaiStack: OriginStack;
  let c2: OpenAI;
  beforeAll(async () => {
    // The simulator's /v1 layer stands in for vLLM, SGLang or llama.cpp server.
    openaiStack = await startOriginStack({ sim: { timeScale: 0.05 }, upstream: { name: 'vllm', kind: 'openai' } });
    c2 = new OpenAI({ baseURL: `${openaiStack.origin.url}/v1`, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(() => openaiStack?.close());

  it('streams, and drops the usage chunk the client did not ask for', async () => {
    const stream = await c2.chat.completions.create({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'hi [[sim:tokens=5]]' }], stream: true });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(sawUsage).toBe(false);
  });

  it('answers non-streaming chat and embeddings', async () => {
    const res = await c2.chat.completions.create({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'hi [[sim:tokens=4]]' }] });
    expect(res.usage?.completion_tokens).toBe(4);
    const emb = await c2.embeddings.create({ model: 'nomic-embed-text:latest', input: 'hola' });
    expect(emb.data[0]!.embedding).toHaveLength(768);
  });
});
