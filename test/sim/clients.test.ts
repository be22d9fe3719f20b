import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastModels } from './helpers.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';

let sim: Simulator;
let ollama: Ollama;
let openai: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.01, models: fastModels() });
  ollama = new Ollama({ host: sim.url });
  openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'ollama', maxRetries: 0 });
});
afterAll(async () => {
  await sim.close();
});

describe('official ollama client', () => {
  it('chat streaming', async () => {
    const stream = await ollama.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'Hello, how are you? [[sim:tokens=6]]' }], stream: true });
    const parts: string[] = [];
    let last;
    for await (const part of stream) {
      parts.push(part.message.content);
      last = part;
    }
    expect(parts.length).toBe(7);
    expect(last?.done).toBe(true);
    expect(last?.done_reason).toBe('stop');
    expect(last?.eval_count).toBe(6);
    expect(last?.prompt_eval_count).toBeGreaterThan(5);
  });

  it('chat non-streaming, name without tag resolves to :latest', async () => {
    const r = await ollama.chat({ model: 'nomic-embed-text', messages: [{ role: 'user', content: 'x' }] }).catch((e: Error) => e);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toContain('does not support chat');
    const ok = await ollama.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'Hola, ¿cómo estás?' }], stream: false, options: { num_predict: 3 } });
    expect(ok.done_reason).toBe('length');
    expect(ok.eval_count).toBe(3);
    expect(ok.message.content.length).toBeGreaterThan(0);
  });

  it('generate', async () => {
    const r = await ollama.generate({ model: 'llama3.2:3b', prompt: 'Write about caches [[sim:tokens=4]]', stream: false });
    expect(r.done).toBe(true);
    expect(r.eval_count).toBe(4);
    expect(r.response?.length).toBeGreaterThan(0);
    expect(Array.isArray(r.context)).toBe(true);
  });

  it('embed, list, ps, version, show', async () => {
    const e = await ollama.embed({ model: 'nomic-embed-text', input: ['a', 'b'] });
    expect(e.embeddings).toHaveLength(2);
    expect(e.embeddings[0]).toHaveLength(768);
    const norm = Math.sqrt(e.embeddings[0]!.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 4);
    const again = await ollama.embed({ model: 'nomic-embed-text:latest', input: 'a', dimensions: 64 });
    expect(again.embeddings[0]).toHaveLength(64);
    const list = await ollama.list();
    expect(list.models.map((m) => m.name)).toContain('gpt-oss:20b');
    const ps = await ollama.ps();
    expect(ps.models.map((m) => m.name)).toContain('nomic-embed-text:latest');
    expect((await ollama.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
    const show = await ollama.show({ model: 'gpt-oss:20b' });
    expect(show.capabilities).toContain('thinking');
  });

  it('404 for an unknown model', async () => {
    const r = await ollama.chat({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch((e: Error & { status_code?: number }) => e);
    expect((r as Error).message).toBe("model 'nope' not found");
  });
});

describe('official openai client against /v1', () => {
  it('chat completion streaming with usage', async () => {
    const stream = await openai.chat.completions.create({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'Hello there [[sim:tokens=5]]' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
      expect(c.id).toMatch(/^chatcmpl-\d+$/);
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(5);
  });

  it('chat completion non-streaming, completions, embeddings, models', async () => {
    const c = await openai.chat.completions.create({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    expect(c.choices[0]?.finish_reason).toBe('length');
    expect(c.system_fingerprint).toBe('fp_ollama');
    expect(c.usage?.completion_tokens).toBe(2);
    const t = await openai.completions.create({ model: 'llama3.2:3b', prompt: 'Once [[sim:tokens=3]]' });
    expect(t.choices[0]?.text.length).toBeGreaterThan(0);
    expect(t.usage?.completion_tokens).toBe(3);
    const e = await openai.embeddings.create({ model: 'nomic-embed-text', input: ['x', 'y'], dimensions: 32 });
    expect(e.data).toHaveLength(2);
    expect(e.data[1]?.embedding).toHaveLength(32);
    const m = await openai.models.list();
    expect(m.data.map((x) => x.id)).toContain('llama3.2:3b');
  });

  it('errors carry the OpenAI shape and status', async () => {
    const err = await openai.chat.completions.create({ model: 'missing', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).error).toEqual({ message: "model 'missing' not found", type: 'api_error', param: null, code: null });
  });
});
