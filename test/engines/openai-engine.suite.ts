/**
 * Every client dialect over a real OpenAI-compatible engine (`kind: openai` upstream), with the
 * official SDKs: straight to the origin, and through the edge on both runtimes (Workers in
 * workerd, Fastly Compute in Viceroy). Streaming and whole answers, tools and tool results,
 * structured output, embeddings, usage, the engine's own errors in each client's shape, and a
 * client that leaves freeing the engine. The engines' random-weight tiny models say nothing
 * meaningful, so what is checked is the frame of each answer, never its words.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSecretsFile } from '../../edge/cli/tenants-file.ts';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { placedFetch, startEdgeWithSecret, type EdgeOnly, type Runtime } from '../edge/harness/stack.ts';
import { parseSse } from '../helpers/sse.ts';

export interface RealOpenAiEngine {
  url: string;
  models: { chat: string; embed: string };
  /** What the engine does with input longer than its context: refuse it (400), or cut it. */
  overflow: { chat: 'rejects' | 'truncates'; embed: 'rejects' | 'truncates' };
  /**
   * Request fields, per client dialect, that the engine itself refuses with a 400 once the
   * origin has passed them on (translated where the dialect is not OpenAI chat).
   */
  refused: { openai: Record<string, unknown>; anthropic: Record<string, unknown>; responses: Record<string, unknown>; native: Record<string, unknown> };
  /**
   * llama-cpp-python answers any model name with its first model: there the upstream's models
   * are discovered (/v1/models), and an unknown name is the origin's own 404.
   */
  answersAnyModel?: boolean;
  /** false: the engine sends no usage chunk even when asked (llama-cpp-python ignores stream_options). */
  streamUsage?: boolean;
  /** Upstream settings this engine needs (README, "Engines"). */
  upstream?: { responseFormat?: 'json_schema' | 'json_object' };
  /** Whether the engine has a generation running now, asked of the engine itself. */
  generating(): Promise<boolean>;
  stop(): Promise<void>;
}

/** A model the upstream is configured to serve but the engine does not have: its own 404. */
const GHOST = 'ghost-model';
const tool = { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };

interface Front {
  base: string;
  apiKey: string;
  fetch: typeof fetch;
}

export function openAiEngineSuite(label: string, start: () => Promise<RealOpenAiEngine>): void {
  let engine: RealOpenAiEngine;
  let plain: RunningOrigin;
  let signed: RunningOrigin;
  const edges: Partial<Record<Runtime, EdgeOnly>> = {};
  const fronts: Record<string, () => Front> = {
    origin: () => ({ base: plain.url, apiKey: 'unused', fetch: globalThis.fetch }),
    workers: () => edgeFront('workers'),
    fastly: () => edgeFront('fastly'),
  };
  function edgeFront(rt: Runtime): Front {
    const e = edges[rt]!;
    return { base: e.edge.url, apiKey: e.keys.open, fetch: (url, init) => placedFetch('', e.edge.clientFrom('DE'), String(url), init ?? {}) };
  }

  beforeAll(async () => {
    engine = await start();
    const models = engine.answersAnyModel ? [] : [engine.models.chat, engine.models.embed, GHOST];
    const upstreams = [{ name: 'engine', kind: 'openai' as const, url: engine.url, models, ...engine.upstream }];
    plain = await startOrigin({ env: {}, overrides: { log: { level: 'silent' }, server: { port: 0 }, upstreams } });
    const dir = mkdtempSync(join(tmpdir(), 'puerta-engine-edge-'));
    const secret = ensureSecretsFile(join(dir, 'edge-secrets.json'));
    signed = await startOrigin({ env: {}, overrides: { log: { level: 'silent' }, server: { port: 0 }, auth: { mode: 'edge', edgeSecret: secret, maxSkewMs: 60_000 }, upstreams } });
    edges.workers = await startEdgeWithSecret('workers', signed.url, dir, {});
    edges.fastly = await startEdgeWithSecret('fastly', signed.url, dir, {});
  }, 180_000);
  afterAll(async () => {
    await edges.workers?.close();
    await edges.fastly?.close();
    await plain?.close();
    await signed?.close();
    await engine?.stop();
  });

  for (const [where, front] of Object.entries(fronts)) {
    describe(`${label}: every dialect ${where === 'origin' ? 'straight to the origin' : `through the edge (${where})`}`, () => {
      const openai = () => new OpenAI({ baseURL: `${front().base}/v1`, apiKey: front().apiKey, maxRetries: 0, fetch: front().fetch });
      const anthropic = () => new Anthropic({ baseURL: front().base, apiKey: front().apiKey, maxRetries: 0, fetch: front().fetch });
      const ollama = () => new Ollama({ host: front().base, fetch: front().fetch, headers: { authorization: `Bearer ${front().apiKey}` } });
      const post = (path: string, body: unknown, signal?: AbortSignal) =>
        front().fetch(`${front().base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${front().apiKey}`, 'x-api-key': front().apiKey, 'anthropic-version': '2023-06-01' },
          body: JSON.stringify(body),
          ...(signal ? { signal } : {}),
        });

      it('OpenAI chat: streamed with usage, and whole', async () => {
        const stream = await openai().chat.completions.create({ model: engine.models.chat, messages: [{ role: 'user', content: 'hola, ¿qué tal?' }], stream: true, stream_options: { include_usage: true }, max_tokens: 8, stop: ['never-said'] });
        let finish: string | null | undefined;
        let usage: OpenAI.CompletionUsage | null | undefined;
        let roles = 0;
        for await (const c of stream) {
          if (c.choices[0]?.delta.role) roles++;
          finish = c.choices[0]?.finish_reason ?? finish;
          usage = c.usage ?? usage;
        }
        // Relayed as the engine wrote it: Ollama's /v1 repeats the role on every delta, llama.cpp does not.
        expect(roles).toBeGreaterThanOrEqual(1);
        expect(['stop', 'length']).toContain(finish);
        if (engine.streamUsage !== false) {
          expect(usage?.prompt_tokens).toBeGreaterThan(0);
          expect(usage?.completion_tokens).toBeGreaterThan(0);
        }
        const whole = await openai().chat.completions.create({ model: engine.models.chat, messages: [{ role: 'user', content: 'hola' }], max_tokens: 6 });
        expect(whole.model).toBe(engine.models.chat);
        expect(whole.choices[0]!.message.role).toBe('assistant');
        expect(whole.usage!.completion_tokens).toBeGreaterThan(0);
        expect(whole.usage!.completion_tokens).toBeLessThanOrEqual(6);
      });

      it('OpenAI completions: streamed and whole', async () => {
        const whole = await openai().completions.create({ model: engine.models.chat, prompt: 'once upon a time', max_tokens: 5, stop: ['never-said'] });
        expect(whole.usage!.completion_tokens).toBeGreaterThan(0);
        let n = 0;
        for await (const c of await openai().completions.create({ model: engine.models.chat, prompt: 'once upon a time', max_tokens: 5, stop: ['never-said'], stream: true })) if (c.choices[0]?.text) n++;
        expect(n).toBeGreaterThan(0);
      });

      it('embeddings: OpenAI and Ollama native, the same vectors in input order', async () => {
        const v1 = await openai().embeddings.create({ model: engine.models.embed, input: ['uno', 'dos tres'] });
        expect(v1.data.map((d) => d.embedding.length)).toEqual([64, 64]);
        expect(v1.usage.prompt_tokens).toBeGreaterThan(0);
        const native = await ollama().embed({ model: engine.models.embed, input: ['uno', 'dos tres'] });
        expect(native.embeddings).toHaveLength(2);
        expect(native.embeddings[1]![0]).toBeCloseTo(v1.data[1]!.embedding[0]!, 5);
      });

      it('OpenAI chat: tools declared, and a tool call\'s result sent back', async () => {
        const res = await openai().chat.completions.create({
          model: engine.models.chat,
          max_tokens: 8,
          tools: [{ type: 'function', function: tool }],
          messages: [
            { role: 'user', content: 'weather in Madrid?' },
            { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Madrid"}' } }] },
            { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c": 21}' },
          ],
        });
        expect(['stop', 'length', 'tool_calls']).toContain(res.choices[0]!.finish_reason);
        expect(res.usage!.prompt_tokens).toBeGreaterThan(10);
      });

      it('structured output: a JSON schema, the answer parses when the engine finished it', async () => {
        // The tiny model's stop word would end the answer inside a string: only the grammar ends it here.
        const res = await openai().chat.completions.create({
          model: engine.models.chat,
          max_tokens: 48,
          stop: ['never-said'],
          messages: [{ role: 'user', content: 'answer in JSON' }],
          response_format: { type: 'json_schema', json_schema: { name: 'out', schema } },
        });
        const c = res.choices[0]!;
        expect(c.message.content!.trimStart().startsWith('{')).toBe(true);
        if (c.finish_reason === 'stop') expect(JSON.parse(c.message.content!)).toHaveProperty('answer');
      });

      it('OpenAI Responses: whole and streamed, a function tool and its output', async () => {
        const whole = await openai().responses.create({
          model: engine.models.chat,
          max_output_tokens: 8,
          tools: [{ type: 'function', name: tool.name, parameters: tool.parameters, strict: false }],
          input: [
            { role: 'user', content: 'weather in Madrid?' },
            { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Madrid"}' },
            { type: 'function_call_output', call_id: 'call_1', output: '{"temp_c": 21}' },
          ],
        });
        expect(['completed', 'incomplete']).toContain(whole.status);
        expect(whole.usage!.input_tokens).toBeGreaterThan(10);
        expect(whole.usage!.output_tokens).toBeGreaterThan(0);
        const events = new Set<string>();
        for await (const ev of await openai().responses.create({ model: engine.models.chat, input: 'hola', stream: true, max_output_tokens: 8 })) events.add(ev.type);
        expect(events).toContain('response.created');
        expect(events.has('response.completed') || events.has('response.incomplete')).toBe(true);
      });

      it('Anthropic Messages: streamed and whole, a tool_use and its tool_result', async () => {
        const stream = anthropic().messages.stream({ model: engine.models.chat, max_tokens: 8, messages: [{ role: 'user', content: 'hola' }] });
        const types = new Set<string>();
        for await (const ev of stream) types.add(ev.type);
        for (const t of ['message_start', 'message_delta', 'message_stop']) expect(types).toContain(t);
        const final = await stream.finalMessage();
        expect(['end_turn', 'max_tokens', 'stop_sequence']).toContain(final.stop_reason);
        expect(final.usage.output_tokens).toBeGreaterThan(0);
        const whole = await anthropic().messages.create({
          model: engine.models.chat,
          max_tokens: 8,
          tools: [{ name: tool.name, description: tool.description, input_schema: tool.parameters as Anthropic.Tool.InputSchema }],
          messages: [
            { role: 'user', content: 'weather in Madrid?' },
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Madrid' } }] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"temp_c": 21}' }] },
          ],
        });
        expect(whole.type).toBe('message');
        expect(whole.usage.input_tokens).toBeGreaterThan(10);
      });

      it('Ollama native: chat streamed and whole (with a tool message and a format), generate', async () => {
        let final: { done_reason?: string; eval_count?: number; prompt_eval_count?: number } | undefined;
        for await (const part of await ollama().chat({ model: engine.models.chat, messages: [{ role: 'user', content: 'hola' }], stream: true, options: { num_predict: 6 } })) if (part.done) final = part;
        expect(['stop', 'length']).toContain(final?.done_reason);
        expect(final?.eval_count).toBeGreaterThan(0);
        const whole = await ollama().chat({
          model: engine.models.chat,
          options: { num_predict: 8 },
          format: schema,
          tools: [{ type: 'function', function: tool }],
          messages: [
            { role: 'user', content: 'weather in Madrid?' },
            { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Madrid' } } }] },
            { role: 'tool', content: '{"temp_c": 21}' },
          ],
        });
        expect(whole.done).toBe(true);
        expect(whole.prompt_eval_count).toBeGreaterThan(10);
        const gen = await ollama().generate({ model: engine.models.chat, prompt: 'once upon a time', options: { num_predict: 4 } });
        expect(gen.eval_count).toBeGreaterThan(0);
      });

      it('a model the engine does not have: a 404 in each client\'s shape', async () => {
        const chat = await post('/v1/chat/completions', { model: GHOST, messages: [{ role: 'user', content: 'hi' }] });
        expect(chat.status).toBe(404);
        expect(await chat.json()).toMatchObject({ error: { code: 'model_not_found' } });
        const msg = await post('/v1/messages', { model: GHOST, max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] });
        expect(msg.status).toBe(404);
        expect(await msg.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
        const resp = await post('/v1/responses', { model: GHOST, input: 'hi' });
        expect(resp.status).toBe(404);
        expect(await resp.json()).toMatchObject({ error: { code: 'model_not_found' } });
        const native = await post('/api/chat', { model: GHOST, messages: [{ role: 'user', content: 'hi' }] });
        expect(native.status).toBe(404);
        expect(typeof ((await native.json()) as { error: unknown }).error).toBe('string');
      });

      it('the engine\'s own 400 for a request it refuses, in each client\'s shape', async () => {
        const hi = [{ role: 'user', content: 'hi' }];
        const chat = await post('/v1/chat/completions', { model: engine.models.chat, messages: hi, max_tokens: 4, ...engine.refused.openai });
        expect(chat.status).toBe(400);
        expect(await chat.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'upstream_rejected' } });
        const msg = await post('/v1/messages', { model: engine.models.chat, max_tokens: 4, messages: hi, ...engine.refused.anthropic });
        expect(msg.status).toBe(400);
        expect(await msg.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('upstream rejected') } });
        const resp = await post('/v1/responses', { model: engine.models.chat, input: 'hi', max_output_tokens: 4, ...engine.refused.responses });
        expect(resp.status).toBe(400);
        expect(await resp.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'upstream_rejected' } });
        const native = await post('/api/chat', { model: engine.models.chat, messages: hi, options: { num_predict: 4 }, ...engine.refused.native });
        expect(native.status).toBe(400);
        // Ollama's clients get the engine's own words, as from Ollama itself.
        expect(typeof ((await native.json()) as { error: unknown }).error).toBe('string');
      });

      it('input longer than the engine\'s context: its own refusal in each shape, or a cut prompt', async () => {
        const long = 'palabra '.repeat(6000);
        const embed = await post('/v1/embeddings', { model: engine.models.embed, input: long });
        const nativeEmbed = await post('/api/embed', { model: engine.models.embed, input: long });
        if (engine.overflow.embed === 'rejects') {
          expect(embed.status).toBe(400);
          expect(await embed.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'upstream_rejected' } });
          expect(nativeEmbed.status).toBe(400);
          expect(typeof ((await nativeEmbed.json()) as { error: unknown }).error).toBe('string');
        } else {
          expect([embed.status, nativeEmbed.status]).toEqual([200, 200]);
        }
        const chat = await post('/v1/chat/completions', { model: engine.models.chat, messages: [{ role: 'user', content: long }], max_tokens: 2 });
        const msg = await post('/v1/messages', { model: engine.models.chat, max_tokens: 2, messages: [{ role: 'user', content: long }] });
        if (engine.overflow.chat === 'rejects') {
          expect(chat.status).toBe(400);
          expect(await chat.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'upstream_rejected' } });
          expect(msg.status).toBe(400);
          expect(await msg.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
        } else {
          expect([chat.status, msg.status]).toEqual([200, 200]);
          await chat.text();
          await msg.text();
        }
      });

      it('a client that leaves mid-stream frees the engine', async () => {
        // A tiny model's context (llama.cpp's 2,048 tokens) ends a generation by itself within
        // seconds; on a loaded machine the stream can reach that end before the engine was seen
        // generating, and then there was nothing left to leave: the request is made again.
        for (let attempt = 1; ; attempt++) {
          const ctl = new AbortController();
          const res = await post('/v1/chat/completions', { model: engine.models.chat, messages: [{ role: 'user', content: 'hola' }], stream: true, max_tokens: 100_000, stop: ['never-said'] }, ctl.signal);
          expect(res.status).toBe(200);
          const reader = res.body!.getReader();
          await reader.read();
          let reads = 1;
          let ended = false;
          // Kept reading until it leaves: a client that stops reading fills the socket buffers
          // (about 0.5 MB of events in the tiny model's context), and an engine blocked on its
          // writes is idle, so "generating" would read false before the client has left.
          const drained = (async () => {
            try {
              while (!(await reader.read()).done) reads++;
              ended = true;
            } catch {
              // the abort below ends the read with an error
            }
          })();
          // What the stream and the engine were doing, so a failure says which it was.
          const seen = async () => (ended ? `the stream ended by itself after ${reads} reads` : (await engine.generating()) ? 'generating' : `engine idle, ${reads} reads so far`);
          await expect.poll(seen, { timeout: 15_000 }).toMatch(/^(generating|the stream ended)/);
          if (ended) {
            expect(attempt, `the stream ended by itself (${reads} reads) before the client could leave it, ${attempt} times`).toBeLessThan(3);
            continue;
          }
          ctl.abort();
          await drained;
          await expect.poll(() => engine.generating(), { timeout: 15_000 }).toBe(false);
          return;
        }
      });

      it('an OpenAI stream relayed as is ends with [DONE] and the engine\'s usage where it sends one', async () => {
        const res = await post('/v1/chat/completions', { model: engine.models.chat, messages: [{ role: 'user', content: 'hola' }], stream: true, max_tokens: 4, stream_options: { include_usage: true } });
        const events = parseSse(await res.text()).filter((e) => e.data !== undefined);
        expect(events.at(-1)!.data).toBe('[DONE]');
        if (engine.streamUsage === false) return;
        const usage = events.map((e) => (e.data === '[DONE]' ? undefined : (JSON.parse(e.data!) as { usage?: { completion_tokens: number } }).usage)).find((u) => u);
        expect(usage?.completion_tokens).toBeGreaterThan(0);
      });
    });
  }
}
