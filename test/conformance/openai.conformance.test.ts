/**
 * Ollama's OpenAI-compatible layer (/v1/*), the same requests against the real server and the
 * simulator: SSE framing, chunk fields and order, finish and usage chunks, whole responses,
 * error objects. Routes the simulator does not serve are listed in sim/README.md; for those the
 * check only records what the real server does.
 */
import { describe, expect, it } from 'vitest';
import { describeOllama, tinyModels } from '../helpers/ollama.ts';
import { bothEngines, observe } from './compare.ts';
import { contractHeaders, foldedShapes, send, shape, sseData } from './wire.ts';

const messages = [{ role: 'user', content: 'hello there, how are you?' }];

describeOllama('conformance: OpenAI layer (real Ollama vs simulator)', () => {
  const pair = bothEngines();

  it('streamed chat completion: role in every delta, the finish chunk\'s delta empty content, usage chunk, [DONE]', async () => {
    const r = await observe(pair, async (t) => {
      const res = await send(t.url, '/v1/chat/completions', { body: { model: tinyModels.chat, messages, stream: true, stream_options: { include_usage: true }, max_tokens: 6, seed: 5, stop: ['never-said'] } });
      const events = sseData(res.body);
      const chunks = events.filter((e): e is Record<string, unknown> => e !== '[DONE]');
      const choice = (i: number) => (chunks[i]!.choices as Array<Record<string, unknown>>)[0];
      const finish = chunks.at(-2)!;
      return {
        status: res.status,
        headers: contractHeaders(res.headers),
        te: res.headers['transfer-encoding'],
        shapes: foldedShapes(chunks),
        firstDelta: Object.keys(choice(0)!.delta as object),
        secondDelta: Object.keys(choice(1)!.delta as object),
        finish: (finish.choices as unknown[])[0],
        usage: shape(chunks.at(-1)!.usage),
        choicesInUsageChunk: chunks.at(-1)!.choices,
        last: events.at(-1),
        idPrefix: String(chunks[0]!.id).replace(/\d+$/, 'N'),
      };
    });
    expect(r.sim).toEqual(r.ollama);
    expect(r.ollama.finish).toEqual({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'length' });
  });

  it('whole chat completion: fields in order', async () => {
    const r = await observe(pair, async (t) => {
      const res = await send(t.url, '/v1/chat/completions', { body: { model: tinyModels.chat, messages, max_tokens: 4, stop: ['never-said'] } });
      const b = JSON.parse(res.body) as { choices: Array<{ finish_reason: string }> };
      return { status: res.status, headers: contractHeaders(res.headers), shape: shape(b), finish: b.choices[0]!.finish_reason, newline: res.body.endsWith('\n') };
    });
    expect(r.sim).toEqual(r.ollama);
  });

  it('legacy completions, streamed and whole', async () => {
    const r = await observe(pair, async (t) => {
      const s = await send(t.url, '/v1/completions', { body: { model: tinyModels.chat, prompt: 'once upon a time', stream: true, max_tokens: 4, stop: ['never-said'] } });
      const w = await send(t.url, '/v1/completions', { body: { model: tinyModels.chat, prompt: 'once upon a time', max_tokens: 4, stop: ['never-said'] } });
      const events = sseData(s.body);
      return { stream: [s.status, contractHeaders(s.headers), foldedShapes(events.filter((e) => e !== '[DONE]')), events.at(-1)], whole: [w.status, shape(JSON.parse(w.body))] };
    });
    expect(r.sim).toEqual(r.ollama);
  });

  it('embeddings: one item per input, usage', async () => {
    const r = await observe(pair, async (t) => {
      const res = await send(t.url, '/v1/embeddings', { body: { model: tinyModels.embed, input: ['a', 'b c'] } });
      const b = JSON.parse(res.body) as { data: Array<{ embedding: number[] }> };
      return { status: res.status, headers: contractHeaders(res.headers), shape: shape(b), lengths: b.data.map((d) => d.embedding.length) };
    });
    expect(r.sim).toEqual(r.ollama);
  });

  it('models list and one model', async () => {
    const r = await observe(pair, async (t) => {
      const list = await send(t.url, '/v1/models');
      const one = await send(t.url, `/v1/models/${tinyModels.chat}`);
      const missing = await send(t.url, '/v1/models/nope');
      const b = JSON.parse(list.body) as { data: Array<{ id: string }> };
      return { list: [list.status, contractHeaders(list.headers), shape(b), b.data.map((m) => m.id).sort()], one: [one.status, shape(JSON.parse(one.body))], missing: [missing.status, missing.body] };
    });
    expect(r.sim).toEqual(r.ollama);
  });

  describe('errors before streaming: OpenAI error objects with the native status', () => {
    const cases: Array<[string, string, unknown]> = [
      ['unknown model', '/v1/chat/completions', { model: 'nope', messages }],
      ['unknown model, streamed', '/v1/chat/completions', { model: 'nope', messages, stream: true }],
      ['no messages', '/v1/chat/completions', { model: tinyModels.chat, messages: [] }],
      ['broken JSON', '/v1/chat/completions', '{"model":'],
      ['embeddings without input', '/v1/embeddings', { model: tinyModels.embed }],
      ['embeddings, unknown model', '/v1/embeddings', { model: 'nope', input: 'x' }],
      ['completions, unknown model', '/v1/completions', { model: 'nope', prompt: 'x' }],
    ];
    for (const [name, path, body] of cases) {
      it(name, async () => {
        const r = await observe(pair, async (t) => {
          const res = await send(t.url, path, { body });
          return { status: res.status, body: res.body, contentType: res.headers['content-type'] };
        });
        expect(r.sim).toEqual(r.ollama);
      });
    }
  });

  describe('Anthropic Messages and OpenAI Responses on the same server', () => {
    it('/v1/messages streams Anthropic events', async () => {
      const r = await observe(pair, async (t) => {
        const res = await send(t.url, '/v1/messages', { body: { model: tinyModels.chat, max_tokens: 5, stream: true, messages } });
        const events = res.body.split('\n\n').filter(Boolean).map((e) => e.split('\n')[0]);
        return { status: res.status, headers: contractHeaders(res.headers), events: [...new Set(events)] };
      });
      expect(r.ollama.status).toBe(200);
      compareWhereSimServes(r);
    });

    it('/v1/responses answers a stateless request', async () => {
      const r = await observe(pair, async (t) => {
        const res = await send(t.url, '/v1/responses', { body: { model: tinyModels.chat, input: 'hello', max_output_tokens: 5 } });
        return { status: res.status, headers: contractHeaders(res.headers), shape: res.status === 200 ? shape(JSON.parse(res.body)) : res.body };
      });
      expect(r.ollama.status).toBe(200);
      compareWhereSimServes(r);
    });
  });
});

/**
 * The simulator does not serve the Anthropic and Responses routes (sim/README.md): the origin
 * speaks them itself and talks to engines natively. The real server's answer is still checked;
 * the day the simulator claims a route, its answer must match.
 */
function compareWhereSimServes(r: { ollama: { status: number }; sim: { status: number } }): void {
  if (r.sim.status === 404) return;
  expect(r.sim).toEqual(r.ollama);
}
