/**
 * The agent-facing dialects the origin speaks itself (Anthropic Messages, OpenAI Responses, Gemini), in
 * front of the real engine. Agent CLIs always send tools, and real Ollama refuses tools for a
 * model whose template does not declare them: the tiny chat model's template does, so these runs
 * show the whole path accepting a tool-carrying request end to end.
 */
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI, Type } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/node/server.ts';
import { describeOllama, startOllama, tinyModels, warm, type OllamaProcess } from '../helpers/ollama.ts';

describeOllama('agent dialects through the origin to real Ollama', () => {
  let engine: OllamaProcess;
  let origin: RunningOrigin;

  beforeAll(async () => {
    engine = await startOllama({ numParallel: 1 });
    await warm(engine.url);
    origin = await startOrigin({ env: {}, overrides: { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'ollama', url: engine.url }] } });
  });
  afterAll(async () => {
    await origin?.close();
    await engine?.stop();
  });

  it('Anthropic Messages, streamed, with a tool declared (@anthropic-ai/sdk)', async () => {
    const client = new Anthropic({ baseURL: origin.url, apiKey: 'unused', maxRetries: 0 });
    const stream = client.messages.stream({
      model: tinyModels.chat,
      max_tokens: 12,
      tools: [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'hola' }],
    });
    const types = new Set<string>();
    for await (const ev of stream) types.add(ev.type);
    const final = await stream.finalMessage();
    // The random model may end its turn at once (no text delta then): the frame of the stream is what is checked.
    for (const t of ['message_start', 'message_delta', 'message_stop']) expect(types).toContain(t);
    expect(['end_turn', 'max_tokens']).toContain(final.stop_reason);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('Anthropic stop_sequences: the cut answer says stop_sequence and which, streamed and whole (@anthropic-ai/sdk)', async () => {
    const client = new Anthropic({ baseURL: origin.url, apiKey: 'unused', maxRetries: 0 });
    // Greedy decoding: the same answer every time, so two characters from its middle are a stop it says.
    const ask = { model: tinyModels.chat, max_tokens: 40, temperature: 0, messages: [{ role: 'user' as const, content: 'tell me a story' }] };
    const textOf = (m: Anthropic.Message) => m.content.filter((b) => b.type === 'text').map((b) => (b as Anthropic.TextBlock).text).join('');
    const text = textOf(await client.messages.create(ask));
    expect(text.length).toBeGreaterThanOrEqual(4);
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 2);
    const before = text.slice(0, text.indexOf(stop));
    const whole = await client.messages.create({ ...ask, stop_sequences: [stop] });
    expect({ reason: whole.stop_reason, sequence: whole.stop_sequence, text: textOf(whole) }).toEqual({ reason: 'stop_sequence', sequence: stop, text: before });
    const streamed = await client.messages.stream({ ...ask, stop_sequences: [stop] }).finalMessage();
    expect({ reason: streamed.stop_reason, sequence: streamed.stop_sequence, text: textOf(streamed) }).toEqual({ reason: 'stop_sequence', sequence: stop, text: before });
  });

  it('OpenAI Responses, whole and streamed, with a function tool (openai client)', async () => {
    const client = new OpenAI({ baseURL: `${origin.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const whole = await client.responses.create({
      model: tinyModels.chat,
      input: 'hola',
      max_output_tokens: 10,
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: false }],
    });
    expect(['completed', 'incomplete']).toContain(whole.status);
    expect(whole.usage?.output_tokens).toBeGreaterThan(0);
    const events = new Set<string>();
    for await (const ev of await client.responses.create({ model: tinyModels.chat, input: 'hola', stream: true, max_output_tokens: 10 })) events.add(ev.type);
    expect(events).toContain('response.created');
    expect(events).toContain('response.output_item.done');
    expect(events.has('response.completed') || events.has('response.incomplete')).toBe(true);
  });

  it('Gemini generateContent, whole and streamed, with a function declared (@google/genai)', async () => {
    const client = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: origin.url, retryOptions: { attempts: 1 } } });
    const config = { maxOutputTokens: 10, tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } } } }] }] };
    const whole = await client.models.generateContent({ model: tinyModels.chat, contents: 'hola', config });
    expect(['STOP', 'MAX_TOKENS']).toContain(whole.candidates?.[0]?.finishReason);
    expect(whole.usageMetadata?.candidatesTokenCount).toBeGreaterThan(0);
    expect(whole.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    let last: Awaited<ReturnType<typeof client.models.generateContent>> | undefined;
    for await (const c of await client.models.generateContentStream({ model: tinyModels.chat, contents: 'hola', config })) last = c;
    expect(['STOP', 'MAX_TOKENS']).toContain(last?.candidates?.[0]?.finishReason);
    expect(last?.usageMetadata?.candidatesTokenCount).toBeGreaterThan(0);
    expect((await client.models.countTokens({ model: tinyModels.chat, contents: 'hola' })).totalTokens).toBeGreaterThan(0);
  });
});
