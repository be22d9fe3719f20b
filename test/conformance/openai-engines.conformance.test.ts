/**
 * The simulator's OpenAI-compatible layer held to the real OpenAI-compatible engines the origin
 * runs over (`kind: openai`): llama.cpp's server and Ollama's /v1. The engines differ in what
 * OpenAI leaves open (ids, key order, extra fields, error texts, CRLF or LF between events), so
 * what is compared is the contract the origin's OpenAI upstream dialect reads
 * (origin/upstream/dialects/openai): SSE events ending in `[DONE]`, the role on the first delta,
 * one finishing chunk, a usage chunk with no choices when asked for, whole answers, embeddings
 * in input order, the model list, and an error object for a model the engine does not have.
 * The byte-level comparison with Ollama's own /v1 is test/conformance/openai.conformance.test.ts.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLlamaCpp, llamaModels, startLlamaCpp, type LlamaCppProcess } from '../helpers/llama-cpp.ts';
import { describeOllama, tinyModels } from '../helpers/ollama.ts';
import { parseSse } from '../helpers/sse.ts';
import { startTarget, type Target } from './targets.ts';
import { send } from './wire.ts';

interface Models {
  chat: string;
  embed: string;
}

const messages = [{ role: 'user', content: 'hello there, how are you?' }];
const FINISH = new Set(['stop', 'length']);

/**
 * What the origin depends on in one engine's /v1, as plain facts to compare. `streamUsage`
 * false leaves the streamed usage chunk out: llama-cpp-python sends none even when asked (the
 * origin then counts content chunks), so there it is not part of what the engines share; nor,
 * with `unknownModel` false, the answer to an unknown model (llama-cpp-python serves any name
 * with its first model; the origin answers those names itself, from the engine's model list).
 */
async function contract(url: string, m: Models, streamUsage = true, unknownModel = true) {
  const streamed = await send(url, '/v1/chat/completions', { body: { model: m.chat, messages, stream: true, stream_options: { include_usage: true }, max_tokens: 4 } });
  const data = parseSse(streamed.body).flatMap((e) => (e.data === undefined ? [] : [e.data]));
  const chunks = data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as { object: string; choices: Array<{ delta: { role?: string }; finish_reason: string | null }>; usage?: Record<string, unknown> | null });
  const usageChunk = chunks.find((c) => c.usage);
  const whole = await send(url, '/v1/chat/completions', { body: { model: m.chat, messages, max_tokens: 4 } });
  const w = JSON.parse(whole.body) as { object: string; choices: Array<{ message: { role: string; content: unknown }; finish_reason: string }>; usage: Record<string, unknown> };
  const completion = JSON.parse((await send(url, '/v1/completions', { body: { model: m.chat, prompt: 'once upon a time', max_tokens: 3 } })).body) as { object: string; choices: Array<{ text: unknown }> };
  const emb = JSON.parse((await send(url, '/v1/embeddings', { body: { model: m.embed, input: ['a', 'b c'] } })).body) as { object: string; data: Array<{ object: string; index: number; embedding: number[] }>; usage: { prompt_tokens: unknown } };
  const models = JSON.parse((await send(url, '/v1/models')).body) as { object: string; data: Array<{ id: string; object: string }> };
  const unknown = await send(url, '/v1/chat/completions', { body: { model: 'nope', messages } });
  const usageKeys = (u: Record<string, unknown> | null | undefined) => ['prompt_tokens', 'completion_tokens', 'total_tokens'].map((k) => typeof u?.[k]);
  return {
    stream: {
      status: streamed.status,
      eventStream: String(streamed.headers['content-type']).startsWith('text/event-stream'),
      endsWithDone: data.at(-1) === '[DONE]',
      objects: [...new Set(chunks.map((c) => c.object))],
      firstRole: chunks[0]?.choices[0]?.delta.role,
      finishingChunks: chunks.filter((c) => FINISH.has(c.choices[0]?.finish_reason ?? '')).length,
      ...(streamUsage ? { usage: usageKeys(usageChunk?.usage), usageChunkChoices: usageChunk?.choices } : {}),
    },
    whole: { status: whole.status, object: w.object, role: w.choices[0]?.message.role, content: typeof w.choices[0]?.message.content, finish: FINISH.has(w.choices[0]?.finish_reason ?? ''), usage: usageKeys(w.usage) },
    completion: { object: completion.object, text: typeof completion.choices[0]?.text },
    embeddings: { object: emb.object, items: emb.data.map((d) => [d.object, d.index, d.embedding.length]), usage: typeof emb.usage.prompt_tokens },
    models: { object: models.object, listsChat: models.data.some((d) => d.id === m.chat), itemObject: models.data[0]?.object },
    ...(unknownModel ? { unknownModel: { clientError: unknown.status >= 400 && unknown.status < 500, message: typeof (JSON.parse(unknown.body) as { error?: { message?: unknown } }).error?.message } } : {}),
  };
}

/** The simulator as the same box as the real engines (tiny models, one slot). */
function simulator(): { target: () => Target } {
  let sim: Target;
  beforeAll(async () => {
    sim = await startTarget('sim');
  });
  afterAll(() => sim?.stop());
  return { target: () => sim };
}

describeLlamaCpp('conformance: the simulator\'s OpenAI layer vs llama.cpp\'s server', () => {
  const sim = simulator();
  let engine: LlamaCppProcess;
  beforeAll(async () => {
    engine = await startLlamaCpp();
  }, 120_000);
  afterAll(() => engine?.stop());

  it('the contract the origin reads is the same', async () => {
    const real = await contract(engine.url, llamaModels, false, false);
    const simulated = await contract(sim.target().url, { chat: tinyModels.chat, embed: tinyModels.embed }, false, false);
    expect(simulated).toEqual(real);
    expect(real.stream).toMatchObject({ status: 200, endsWithDone: true, firstRole: 'assistant', finishingChunks: 1 });
  });
});

describeOllama('conformance: the simulator\'s OpenAI layer vs Ollama\'s /v1, on the same contract', () => {
  const sim = simulator();
  let ollama: Target;
  beforeAll(async () => {
    ollama = await startTarget('ollama');
  });
  afterAll(() => ollama?.stop());

  it('the contract the origin reads is the same', async () => {
    const m = { chat: tinyModels.chat, embed: tinyModels.embed };
    const real = await contract(ollama.url, m);
    expect(await contract(sim.target().url, m)).toEqual(real);
  });
});
