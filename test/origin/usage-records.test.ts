import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../origin/core/record.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';

let stack: OriginStack;
const records: RequestRecord[] = [];

beforeAll(async () => {
  stack = await startOriginStack({
    sim: { timeScale: 0.05 },
    origin: { routing: { aliases: { rapido: { model: 'llama3.2:3b', temperature: 0.2 } } } },
    setup: (deps) => deps.observers.add({ onEnd: (r) => void records.push({ ...r }) }),
  });
});
afterAll(() => stack?.close());

const last = () => records[records.length - 1]!;

describe("the engine's own token counts reach the request record", () => {
  it('on native streamed chat (read from the final done:true line)', async () => {
    const ollama = new Ollama({ host: stack.origin.url });
    const stream = await ollama.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hola [[sim:tokens=7]]' }], stream: true });
    let final;
    for await (const part of stream) if (part.done) final = part;
    await expect.poll(() => records.length).toBeGreaterThan(0);
    expect(last().completionTokens).toBe(7);
    expect(last().promptTokens).toBe(final!.prompt_eval_count);
    expect(last().outcome).toBe('ok');
  });

  it('on native whole answers and embeddings', async () => {
    const ollama = new Ollama({ host: stack.origin.url });
    const res = await ollama.generate({ model: 'llama3.2:3b', prompt: 'hi [[sim:tokens=4]]' });
    expect(last().completionTokens).toBe(4);
    expect(last().promptTokens).toBe(res.prompt_eval_count);
    const emb = await ollama.embed({ model: 'nomic-embed-text', input: ['uno dos tres'] });
    expect(last().promptTokens).toBe(emb.prompt_eval_count);
    expect(last().completionTokens).toBe(0);
  });
});

describe('aliases', () => {
  it('appear in /v1/models and answer like a model', async () => {
    const list = (await (await fetch(`${stack.origin.url}/v1/models`)).json()) as { data: Array<{ id: string; owned_by: string }> };
    expect(list.data).toContainEqual(expect.objectContaining({ id: 'rapido', owned_by: 'puerta-alias' }));
    const res = await fetch(`${stack.origin.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'rapido', messages: [{ role: 'user', content: 'x [[sim:tokens=2]]' }] }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(last().upstreamModel).toBe('llama3.2:3b');
    // Non-streamed answers record the bytes sent too (the audit trail reports them).
    expect(last().bytesOut).toBe(Buffer.byteLength(text));
  });
});
