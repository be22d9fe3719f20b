/**
 * Ollama's native API, the same requests against the real server (0.17.4, tiny models) and the
 * simulator: status, headers, field names and order, framing, done reasons, error bodies.
 * Generated text, token counts, durations and digests differ by nature and are compared by type.
 */
import { describe, expect, it } from 'vitest';
import { describeOllama, OLLAMA_VERSION, tinyModels } from '../helpers/ollama.ts';
import { bothEngines, observe } from './compare.ts';
import { contractHeaders, foldedShapes, ndjson, send, shape } from './wire.ts';

/** A natural turn: the real model ends it on its stop word, the simulator at its natural length. */
const chat = (extra: Record<string, unknown> = {}) => ({
  model: tinyModels.chat,
  messages: [{ role: 'user', content: 'hello there, how are you?' }],
  options: { seed: 7, num_predict: 400 },
  ...extra,
});

describeOllama('conformance: native API (real Ollama vs simulator)', () => {
  const pair = bothEngines();

  describe('plain routes', () => {
    it('GET / and HEAD / answer "Ollama is running"', async () => {
      const r = await observe(pair, async (t) => {
        const get = await send(t.url, '/');
        const head = await send(t.url, '/', { method: 'HEAD' });
        return { get: [get.status, get.body, contractHeaders(get.headers)], head: [head.status, head.body, head.headers['content-length']] };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama.get[1]).toBe('Ollama is running');
    });

    it('GET /api/version', async () => {
      const r = await observe(pair, async (t) => {
        const v = await send(t.url, '/api/version');
        return [v.status, v.body, contractHeaders(v.headers)];
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama[1]).toBe(`{"version":"${OLLAMA_VERSION}"}`);
    });

    it('an unknown route is a plain-text 404', async () => {
      const r = await observe(pair, async (t) => {
        const v = await send(t.url, '/api/nope');
        const m = await send(t.url, '/api/chat', { method: 'GET' });
        return [v.status, v.body, contractHeaders(v.headers), m.status, m.body];
      });
      expect(r.sim).toEqual(r.ollama);
    });

    it('403 with an empty body for a Host that is not local', async () => {
      const r = await observe(pair, async (t) => {
        const bad = await send(t.url, '/api/version', { headers: { host: 'example.com' } });
        const ok = await send(t.url, '/api/version', { headers: { host: 'gpu.internal:11434' } });
        return [bad.status, bad.body, ok.status];
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama[0]).toBe(403);
    });
  });

  describe('model listing', () => {
    it('/api/tags: the same models, field names and order', async () => {
      const r = await observe(pair, async (t) => {
        const res = await send(t.url, '/api/tags');
        const body = JSON.parse(res.body) as { models: Array<Record<string, unknown>> };
        return {
          status: res.status,
          headers: contractHeaders(res.headers),
          names: body.models.map((m) => m.name).sort(),
          shapes: [...new Set(body.models.map((m) => JSON.stringify(shape(m))))],
          details: body.models.map((m) => [m.name, m.details]).sort(),
        };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama.names).toEqual([tinyModels.chat, tinyModels.embed, tinyModels.repeat]);
    });

    it('/api/show: fields, details and capabilities (tools declared, no thinking; embedding)', async () => {
      const r = await observe(pair, async (t) => {
        const out: Record<string, unknown> = {};
        for (const model of [tinyModels.chat, tinyModels.embed]) {
          const res = await send(t.url, '/api/show', { body: { model } });
          const b = JSON.parse(res.body) as Record<string, unknown> & { model_info: Record<string, unknown>; details: { family: string } };
          const arch = b.model_info['general.architecture'] as string;
          // parent_model names the file a model was created from: a path on the real server.
          const { parent_model: _parent, ...details } = b.details as Record<string, unknown>;
          out[model] = {
            status: res.status,
            keys: Object.keys(b),
            details,
            tensors: shape(b.tensors),
            capabilities: b.capabilities,
            // Every model_info key of a real GGUF is more than the simulator models; these are the ones clients read.
            info: [arch, typeof b.model_info['general.parameter_count'], b.model_info[`${arch}.context_length`], b.model_info[`${arch}.embedding_length`]],
          };
        }
        return out;
      });
      expect(r.sim).toEqual(r.ollama);
    });
  });

  describe('chat and generate', () => {
    it('streamed /api/chat: ndjson, chunk fields in order, one final object with the metrics', async () => {
      const r = await observe(pair, async (t) => {
        const res = await send(t.url, '/api/chat', { body: chat() });
        const lines = ndjson(res.body);
        const last = lines.at(-1)!;
        const sent = lines.length - 1;
        return {
          wire: { status: res.status, headers: contractHeaders(res.headers), te: res.headers['transfer-encoding'], shapes: foldedShapes(lines), done: last.done, reason: last.done_reason },
          counted: last.eval_count === sent + 1 ? 'sent + end token' : last.eval_count === sent ? 'sent' : `${String(last.eval_count)} for ${sent} sent`,
        };
      });
      expect(r.sim.wire).toEqual(r.ollama.wire);
      expect(r.ollama.wire.reason).toBe('stop');
      // Known difference, kept on purpose (sim/README.md): the real server's eval_count also counts
      // the end-of-turn token it generated but did not send; the simulator counts what it sent,
      // which the rest of the suite's token arithmetic ([[sim:tokens=N]] → N) relies on.
      expect(r.ollama.counted).toBe('sent + end token');
      expect(r.sim.counted).toBe('sent');
    });

    it('num_predict ends the answer with done_reason "length"', async () => {
      const r = await observe(pair, async (t) => {
        const lines = ndjson((await send(t.url, '/api/chat', { body: chat({ options: { seed: 1, num_predict: 3, stop: ['never-said'] } }) })).body);
        return { reason: lines.at(-1)!.done_reason, evalCount: lines.at(-1)!.eval_count, tokens: lines.length - 1 };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama).toEqual({ reason: 'length', evalCount: 3, tokens: 3 });
    });

    it('a stop sequence ends the answer before it, unsent, with done_reason "stop" (streamed and whole)', async () => {
      const r = await observe(pair, async (t) => {
        const ask = (stop?: string[]) => chat({ options: { seed: 11, num_predict: 40, ...(stop ? { stop } : {}) } });
        const contentOf = (lines: Array<Record<string, unknown>>) => lines.map((l) => (l.message as { content?: string } | undefined)?.content ?? '').join('');
        // Each engine's own answer gives the stop: two characters from its middle, which it says.
        const text = contentOf(ndjson((await send(t.url, '/api/chat', { body: ask() })).body));
        const mid = Math.floor(text.length / 2);
        const stop = text.slice(mid, mid + 2);
        const before = text.slice(0, text.indexOf(stop));
        const streamed = ndjson((await send(t.url, '/api/chat', { body: ask([stop]) })).body);
        const whole = JSON.parse((await send(t.url, '/api/chat', { body: { ...ask([stop]), stream: false } })).body) as { done_reason: string; message: { content: string } };
        return {
          long: text.length >= 4,
          streamed: { reason: streamed.at(-1)!.done_reason, cut: contentOf(streamed) === before },
          whole: { reason: whole.done_reason, cut: whole.message.content === before },
        };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama).toEqual({ long: true, streamed: { reason: 'stop', cut: true }, whole: { reason: 'stop', cut: true } });
    });

    it('stream:false: one JSON object with the whole message and the metrics', async () => {
      const r = await observe(pair, async (t) => {
        const res = await send(t.url, '/api/chat', { body: chat({ stream: false }) });
        return { status: res.status, headers: contractHeaders(res.headers), shape: shape(JSON.parse(res.body)), newline: res.body.endsWith('\n') };
      });
      expect(r.sim).toEqual(r.ollama);
    });

    it('streamed and whole /api/generate: "response", then context and metrics', async () => {
      const r = await observe(pair, async (t) => {
        const body = { model: tinyModels.chat, prompt: 'why is the sky blue?', options: { seed: 3, num_predict: 8, stop: ['never-said'] } };
        const s = await send(t.url, '/api/generate', { body });
        const w = await send(t.url, '/api/generate', { body: { ...body, stream: false } });
        return { stream: [s.status, contractHeaders(s.headers), foldedShapes(ndjson(s.body))], whole: [w.status, contractHeaders(w.headers), shape(JSON.parse(w.body))] };
      });
      expect(r.sim).toEqual(r.ollama);
    });

    it('empty messages load the model (done_reason "load"); keep_alive 0 unloads it ("unload")', async () => {
      const r = await observe(pair, async (t) => {
        const load = await send(t.url, '/api/chat', { body: { model: tinyModels.chat, messages: [] } });
        const ps1 = JSON.parse((await send(t.url, '/api/ps')).body) as { models: Array<Record<string, unknown>> };
        const unload = await send(t.url, '/api/generate', { body: { model: tinyModels.chat, keep_alive: 0 } });
        // The unload is answered before the runner has gone; /api/ps drops the model when it has.
        let ps2 = ps1;
        for (let i = 0; i < 100 && ps2.models.length; i++) {
          await new Promise((res) => setTimeout(res, 50));
          ps2 = JSON.parse((await send(t.url, '/api/ps')).body) as typeof ps1;
        }
        return {
          load: [load.status, contractHeaders(load.headers), shape(JSON.parse(load.body)), (JSON.parse(load.body) as Record<string, unknown>).done_reason],
          ps: [ps1.models.map((m) => m.name), ps1.models.map(shape)],
          unload: [unload.status, shape(JSON.parse(unload.body)), (JSON.parse(unload.body) as Record<string, unknown>).done_reason],
          after: ps2.models.length,
        };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama.load[3]).toBe('load');
      expect(r.ollama.unload[2]).toBe('unload');
    });
  });

  describe('embeddings', () => {
    it('/api/embed: one normalised vector per input, dimensions truncates, fields in order', async () => {
      const r = await observe(pair, async (t) => {
        const one = await send(t.url, '/api/embed', { body: { model: tinyModels.embed, input: 'the quick brown fox' } });
        const two = await send(t.url, '/api/embed', { body: { model: tinyModels.embed, input: ['one', 'two words'], dimensions: 8 } });
        const a = JSON.parse(one.body) as { embeddings: number[][] };
        const b = JSON.parse(two.body) as { embeddings: number[][] };
        const norm = (v: number[]) => Math.round(Math.sqrt(v.reduce((s, x) => s + x * x, 0)) * 1000) / 1000;
        return {
          one: [one.status, contractHeaders(one.headers), shape(a), a.embeddings.map((v) => [v.length, norm(v)])],
          two: [two.status, shape(b), b.embeddings.map((v) => [v.length, norm(v)])],
        };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama.one[3]).toEqual([[64, 1]]);
    });

    it('a chat model embeds too; empty input answers no vectors', async () => {
      const r = await observe(pair, async (t) => {
        const chatModel = await send(t.url, '/api/embed', { body: { model: tinyModels.chat, input: 'x' } });
        const empty = await send(t.url, '/api/embed', { body: { model: tinyModels.embed, input: [] } });
        return { chat: [chatModel.status, shape(JSON.parse(chatModel.body)), (JSON.parse(chatModel.body) as { embeddings: number[][] }).embeddings[0]!.length], empty: [empty.status, empty.body] };
      });
      expect(r.sim).toEqual(r.ollama);
    });

    it('legacy /api/embeddings', async () => {
      const r = await observe(pair, async (t) => {
        const res = await send(t.url, '/api/embeddings', { body: { model: tinyModels.embed, prompt: 'hola mundo' } });
        const b = JSON.parse(res.body) as { embedding: number[] };
        return [res.status, contractHeaders(res.headers), shape(b), b.embedding.length];
      });
      expect(r.sim).toEqual(r.ollama);
    });
  });

  describe('errors before streaming: status and exact body', () => {
    const cases: Array<[string, string, unknown]> = [
      ['unknown model, chat', '/api/chat', { model: 'nope', messages: [{ role: 'user', content: 'x' }] }],
      ['unknown model, generate', '/api/generate', { model: 'nope', prompt: 'x' }],
      ['unknown model, show', '/api/show', { model: 'nope' }],
      ['unknown model, embed', '/api/embed', { model: 'nope', input: 'x' }],
      ['unknown model, legacy embeddings', '/api/embeddings', { model: 'nope', prompt: 'x' }],
      ['empty body', '/api/chat', ''],
      ['broken JSON', '/api/chat', '{"model":'],
      ['no model', '/api/chat', { messages: [{ role: 'user', content: 'x' }] }],
      ['think on a model without thinking', '/api/chat', { model: tinyModels.chat, messages: [{ role: 'user', content: 'x' }], think: true }],
      ['tools on a model without tools', '/api/chat', { model: tinyModels.embed, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }] }],
      ['chat with an embedding model', '/api/chat', { model: tinyModels.embed, messages: [{ role: 'user', content: 'x' }] }],
      ['option of the wrong type', '/api/chat', { model: tinyModels.chat, messages: [{ role: 'user', content: 'x' }], options: { num_predict: 'ten', whatever: 1 } }],
      ['keep_alive that is no duration', '/api/chat', { model: tinyModels.chat, messages: [{ role: 'user', content: 'x' }], keep_alive: 'soon' }],
      ['messages of the wrong type', '/api/chat', { model: tinyModels.chat, messages: 'hi' }],
      ['a message content of the wrong type', '/api/chat', { model: tinyModels.chat, messages: [{ role: 'user', content: 5 }] }],
      ['stream of the wrong type', '/api/chat', { model: tinyModels.chat, messages: [{ role: 'user', content: 'x' }], stream: 'yes' }],
      ['options that are no object', '/api/chat', { model: tinyModels.chat, messages: [{ role: 'user', content: 'x' }], options: [] }],
      ['an unknown think level', '/api/chat', { model: tinyModels.chat, messages: [{ role: 'user', content: 'x' }], think: 'extreme' }],
      ['think of the wrong type', '/api/chat', { model: tinyModels.chat, messages: [{ role: 'user', content: 'x' }], think: 5 }],
      ['keep_alive of the wrong type', '/api/chat', { model: tinyModels.chat, messages: [{ role: 'user', content: 'x' }], keep_alive: true }],
      ['a body that is no object', '/api/chat', '[1,2]'],
      ['prompt of the wrong type', '/api/generate', { model: tinyModels.chat, prompt: 5 }],
      ['generate with an embedding model', '/api/generate', { model: tinyModels.embed, prompt: 'x' }],
      ['embed input of the wrong type', '/api/embed', { model: tinyModels.embed, input: [1, 2] }],
      ['show without a model', '/api/show', {}],
    ];
    for (const [name, path, body] of cases) {
      it(name, async () => {
        const r = await observe(pair, async (t) => {
          const res = await send(t.url, path, { body, headers: body === '' ? { 'content-type': 'application/json' } : {} });
          return { status: res.status, body: res.body, contentType: res.headers['content-type'] };
        });
        expect(r.sim).toEqual(r.ollama);
      });
    }
  });
});
