/**
 * Ollama-native clients (/api/chat, /api/generate, /api/embed, /api/embeddings) in front of an
 * OpenAI-compatible engine (`kind: openai`; here the simulator's /v1 layer): the body becomes a
 * Generation, the engine's answer comes back in Ollama's wire, tool calls and tool results
 * included. The same against real engines: test/engines/.
 */
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { postJson } from '../helpers/request.ts';

const CHAT = 'llama3.2:3b';
const EMBED = 'nomic-embed-text:latest';
const weather = { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

describe('Ollama-native clients over an OpenAI-compatible engine', () => {
  let sim: Simulator;
  let origin: RunningOrigin;
  let ollama: Ollama;

  beforeAll(async () => {
    sim = await startSimulator({ timeScale: 0.02, preloaded: [CHAT, EMBED] });
    origin = await startOrigin({ env: {}, overrides: { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'v1', kind: 'openai', url: sim.url }] } });
    ollama = new Ollama({ host: origin.url });
  });
  afterAll(async () => {
    await origin?.close();
    await sim?.close();
  });

  it('streams a chat as NDJSON lines ending with the engine\'s counts', async () => {
    let text = '';
    let final: { done_reason?: string; eval_count?: number; prompt_eval_count?: number } | undefined;
    for await (const part of await ollama.chat({ model: CHAT, messages: [{ role: 'user', content: 'hola [[sim:tokens=7]]' }], stream: true })) {
      text += part.message.content;
      if (part.done) final = part;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(final).toMatchObject({ done_reason: 'stop', eval_count: 7 });
    expect(final!.prompt_eval_count).toBeGreaterThan(0);
  });

  it('a tool call comes back as Ollama\'s tool_calls, and its result goes to the engine paired with the call', async () => {
    const first = await ollama.chat({ model: CHAT, messages: [{ role: 'user', content: 'weather? [[sim:call=get_weather]]' }], tools: [weather] });
    const call = first.message.tool_calls?.[0];
    expect(call?.function.name).toBe('get_weather');
    expect(typeof call?.function.arguments).toBe('object');
    const second = await ollama.chat({
      model: CHAT,
      tools: [weather],
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', tool_calls: [call!] },
        { role: 'tool', content: '{"temp_c": 21}', tool_name: 'get_weather' },
        { role: 'user', content: 'and now? [[sim:tokens=3]]' },
      ],
    });
    expect(second.done_reason).toBe('stop');
    expect(second.eval_count).toBe(3);
  });

  it('generates, whole and streamed; num_predict caps the answer', async () => {
    const whole = await ollama.generate({ model: CHAT, prompt: 'once upon a time [[sim:tokens=9]]', options: { num_predict: 4 } });
    expect(whole).toMatchObject({ done: true, done_reason: 'length', eval_count: 4 });
    let n = 0;
    for await (const part of await ollama.generate({ model: CHAT, prompt: 'érase una vez [[sim:tokens=5]]', stream: true })) if (!part.done && part.response) n++;
    expect(n).toBe(5);
  });

  it('embeds through /api/embed and /api/embeddings', async () => {
    const e = await ollama.embed({ model: EMBED, input: ['uno', 'dos tres'] });
    expect(e.embeddings).toHaveLength(2);
    expect(e.embeddings[0]!.length).toBeGreaterThan(0);
    const legacy = await postJson(`${origin.url}/api/embeddings`, { model: EMBED, prompt: 'uno' });
    expect(legacy.status).toBe(200);
    expect(((await legacy.json()) as { embedding: number[] }).embedding).toEqual(e.embeddings[0]);
  });

  it('Ollama\'s own templating fields are a 400 naming the field; /api/show stays Ollama-only', async () => {
    const raw = await postJson(`${origin.url}/api/generate`, { model: CHAT, prompt: 'x', raw: true });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: string }).error).toContain('raw');
    const show = await postJson(`${origin.url}/api/show`, { model: CHAT });
    expect(show.status).toBe(400);
  });
});
