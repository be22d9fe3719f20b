import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';

let stack: OriginStack;
let ollama: Ollama;

beforeAll(async () => {
  stack = await startOriginStack({ sim: { timeScale: 0.05 } });
  ollama = new Ollama({ host: stack.origin.url });
});
afterAll(() => stack?.close());

describe('official ollama client against the origin (native pass-through)', () => {
  it('chats, streaming', async () => {
    const stream = await ollama.chat({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: '¿Qué es la energía solar? [[sim:tokens=10]]' }], stream: true });
    let text = '';
    let final;
    for await (const part of stream) {
      text += part.message.content;
      if (part.done) final = part;
    }
    expect(text.length).toBeGreaterThan(5);
    expect(final?.eval_count).toBe(10);
    expect(final?.done_reason).toBe('stop');
  });

  it('chats, not streaming', async () => {
    const res = await ollama.chat({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'hi [[sim:tokens=4]]' }] });
    expect(res.done).toBe(true);
    expect(res.eval_count).toBe(4);
  });

  it('generates, streaming and not', async () => {
    const res = await ollama.generate({ model: 'llama3.2:3b', prompt: 'hello [[sim:tokens=5]]' });
    expect(res.response?.length).toBeGreaterThan(0);
    const stream = await ollama.generate({ model: 'llama3.2:3b', prompt: 'hola [[sim:tokens=5]]', stream: true });
    let n = 0;
    for await (const part of stream) if (!part.done) n++;
    expect(n).toBe(5);
  });

  it('embeds', async () => {
    const res = await ollama.embed({ model: 'nomic-embed-text', input: ['a', 'b', 'c'] });
    expect(res.embeddings).toHaveLength(3);
    expect(res.embeddings[0]).toHaveLength(768);
  });

  it('lists, shows ps, version and show', async () => {
    const tags = await ollama.list();
    expect(tags.models.map((m) => m.name)).toContain('gpt-oss:20b');
    const ps = await ollama.ps();
    expect(Array.isArray(ps.models)).toBe(true);
    const v = await ollama.version();
    expect(v.version).toMatch(/^\d+\.\d+\.\d+/);
    const show = await ollama.show({ model: 'gpt-oss:20b' });
    expect(show.details).toBeDefined();
  });

  it('raises the upstream error for an unknown model', async () => {
    await expect(ollama.chat({ model: 'nope:1b', messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow(/nope/);
  });

  it('raises a mid-stream error as Ollama does (error line, no done)', async () => {
    const stream = await ollama.chat({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'x [[sim:fault=reset,after=2]]' }], stream: true });
    const run = async () => {
      for await (const _ of stream) {
        // drain until the error line
      }
    };
    await expect(run()).rejects.toThrow(/closed the connection mid-response/);
  });
});
