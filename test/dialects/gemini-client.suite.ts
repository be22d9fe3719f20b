/**
 * The official @google/genai SDK against a Puerta base URL (the origin, or an edge in front of
 * it), in front of the simulator: generateContent (text and an image), generateContentStream
 * with thought parts, a function call and its functionResponse round trip, structured output,
 * countTokens, models.list/get, and errors in Google's shape.
 */
import { ApiError, FunctionCallingConfigMode, GoogleGenAI, Type } from '@google/genai';
import { expect, it } from 'vitest';

export interface GeminiTarget {
  /** Base URL (the SDK adds /v1beta). */
  baseURL: string;
  apiKey: string;
  model: string;
  /** How to reach the base URL (an edge test places the client in a country). */
  fetch?: typeof fetch;
}

/** A 1×1 PNG. */
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const weather = {
  name: 'get_weather',
  description: 'Current weather of a city',
  parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING, description: 'The city' } }, required: ['city'] },
};

/** The SDK's ApiError carries Google's error body, as JSON, in its message. */
function errorBody(e: unknown): { error: { code: number; status: string; message: string; details?: Array<Record<string, unknown>> } } {
  expect(e).toBeInstanceOf(ApiError);
  return JSON.parse((e as ApiError).message) as never;
}

export function geminiClientSuite(target: () => GeminiTarget): void {
  const client = () =>
    new GoogleGenAI({
      apiKey: target().apiKey,
      httpOptions: { baseUrl: target().baseURL, retryOptions: { attempts: 1 }, ...(target().fetch ? { fetch: target().fetch } : {}) },
    });
  const raw = (path: string, init: RequestInit) => (target().fetch ?? fetch)(`${target().baseURL}${path}`, init);

  it('generateContent answers text with usageMetadata and finishReason, an image included', async () => {
    const r = await client().models.generateContent({
      model: target().model,
      contents: [{ role: 'user', parts: [{ text: 'Describe this picture [[sim:tokens=6]]' }, { inlineData: { mimeType: 'image/png', data: PIXEL } }] }],
      config: { systemInstruction: 'You are terse.', temperature: 0.2, topP: 0.9, maxOutputTokens: 64 },
    });
    expect(r.text?.length).toBeGreaterThan(0);
    expect(r.candidates?.[0]?.finishReason).toBe('STOP');
    expect(r.modelVersion).toBe(target().model);
    expect(r.usageMetadata?.candidatesTokenCount).toBe(6);
    expect(r.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(r.usageMetadata?.totalTokenCount).toBe(r.usageMetadata!.promptTokenCount! + 6);
  });

  it('maxOutputTokens cuts the answer: MAX_TOKENS', async () => {
    const r = await client().models.generateContent({ model: target().model, contents: 'Tell a long story [[sim:tokens=50]]', config: { maxOutputTokens: 5 } });
    expect(r.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(r.usageMetadata?.candidatesTokenCount).toBe(5);
  });

  it('generateContentStream streams thought parts then text, the last chunk with finishReason and usage', async () => {
    const stream = await client().models.generateContentStream({
      model: target().model,
      contents: 'Why is the sky blue? [[sim:tokens=40]]',
      config: { thinkingConfig: { includeThoughts: true, thinkingBudget: -1 } },
    });
    let thought = '';
    let text = '';
    let chunks = 0;
    let last: Awaited<ReturnType<(typeof stream)['next']>>['value'];
    for await (const c of stream) {
      chunks++;
      for (const p of c.candidates?.[0]?.content?.parts ?? []) {
        if (p.thought) thought += p.text ?? '';
        else text += p.text ?? '';
      }
      last = c;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(thought.length).toBeGreaterThan(0);
    expect(text.length).toBeGreaterThan(0);
    expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last?.usageMetadata?.candidatesTokenCount).toBeGreaterThan(0);
  });

  it('thoughts stay out of the answer unless asked for (includeThoughts)', async () => {
    const r = await client().models.generateContent({ model: target().model, contents: 'Why? [[sim:tokens=30]]', config: { thinkingConfig: { thinkingBudget: 1024 } } });
    expect(r.candidates?.[0]?.content?.parts?.some((p) => p.thought)).toBe(false);
    expect(r.text?.length).toBeGreaterThan(0);
  });

  it('calls a function (streamed), and a functionResponse round trip gets the answer', async () => {
    const config = { tools: [{ functionDeclarations: [weather] }], toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } } };
    const ask = { role: 'user', parts: [{ text: 'Weather in Lisbon? [[sim:call=get_weather]]' }] };
    const stream = await client().models.generateContentStream({ model: target().model, contents: [ask], config });
    const modelParts = [];
    for await (const c of stream) modelParts.push(...(c.candidates?.[0]?.content?.parts ?? []).filter((p) => p.functionCall || p.text));
    const call = modelParts.find((p) => p.functionCall)?.functionCall;
    expect(call?.name).toBe('get_weather');
    expect(typeof call?.args?.city).toBe('string');
    const second = await client().models.generateContent({
      model: target().model,
      config,
      contents: [
        ask,
        { role: 'model', parts: modelParts },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '21 °C, sunny' } } }] },
      ],
    });
    expect(second.functionCalls ?? []).toEqual([]);
    expect(second.text?.length).toBeGreaterThan(0);
    expect(second.candidates?.[0]?.finishReason).toBe('STOP');
  });

  it('structured output: responseMimeType application/json with a responseSchema', async () => {
    const r = await client().models.generateContent({
      model: target().model,
      contents: 'A city and its population',
      config: {
        responseMimeType: 'application/json',
        responseSchema: { type: Type.OBJECT, properties: { city: { type: Type.STRING }, population: { type: Type.INTEGER } }, required: ['city', 'population'] },
      },
    });
    const doc = JSON.parse(r.text ?? '') as { city: unknown; population: unknown };
    expect(typeof doc.city).toBe('string');
    expect(Number.isInteger(doc.population)).toBe(true);
  });

  it('countTokens counts with the engine', async () => {
    const r = await client().models.countTokens({ model: target().model, contents: 'How many tokens is this?' });
    expect(r.totalTokens).toBeGreaterThan(0);
  });

  it('models.list and models.get name the served models as models/<name>', async () => {
    const names: string[] = [];
    for await (const m of await client().models.list()) names.push(m.name ?? '');
    expect(names).toContain(`models/${target().model}`);
    const one = await client().models.get({ model: target().model });
    expect(one.name).toBe(`models/${target().model}`);
    expect(one.supportedActions).toContain('generateContent');
  });

  it('refuses in Google’s shape: an unknown model (404), a bad field (400 naming it)', async () => {
    const unknown = await client()
      .models.generateContent({ model: 'no-such-model:1b', contents: 'x' })
      .catch((e: unknown) => e);
    expect((unknown as ApiError).status).toBe(404);
    expect(errorBody(unknown).error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    const bad = await client()
      .models.generateContent({ model: target().model, contents: 'x', config: { temperature: 'hot' as unknown as number } })
      .catch((e: unknown) => e);
    expect((bad as ApiError).status).toBe(400);
    const body = errorBody(bad).error;
    expect(body).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(body.message).toMatch(/generationConfig\.temperature/);
    expect(body.details).toContainEqual({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'generationConfig.temperature', description: body.message }] });
    const typo = await raw(`/v1beta/models/${target().model}:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': target().apiKey },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { maxOutputToken: 5 } }),
    });
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as { error: { message: string } }).error.message).toMatch(/generationConfig.*maxOutputToken/);
  });

  it('keepalives while the engine is silent are blank lines, which the SDK skips', async () => {
    const ask = { contents: [{ role: 'user', parts: [{ text: 'Go on [[sim:tokens=8,fault=stall,after=3,ms=12000]]' }] }] };
    const res = await raw(`/v1beta/models/${target().model}:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': target().apiKey },
      body: JSON.stringify(ask),
    });
    const text = await res.text();
    expect(text).toMatch(/\}\n\n\n\n/);
    expect(text).toMatch(/"finishReason":"STOP"/);
    let chunks = 0;
    for await (const c of await client().models.generateContentStream({ model: target().model, ...ask })) if (c.text) chunks++;
    expect(chunks).toBeGreaterThan(3);
  });

  it('an engine failure mid-stream ends the stream with Google’s error, which the SDK raises', async () => {
    const stream = await client().models.generateContentStream({ model: target().model, contents: 'Go on [[sim:tokens=20,fault=error,after=3]]' });
    let text = '';
    const failed = await (async () => {
      for await (const c of stream) text += c.text ?? '';
    })().catch((e: unknown) => e);
    expect(text.length).toBeGreaterThan(0);
    expect((failed as ApiError).status).toBe(502);
    expect((failed as ApiError).message).toMatch(/"status":"INTERNAL"/);
  });

  it('streamGenerateContent without alt=sse answers one JSON array', async () => {
    const res = await raw(`/v1beta/models/${target().model}:streamGenerateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': target().apiKey },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi [[sim:tokens=3]]' }] }] }),
    });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Array<{ candidates: Array<{ finishReason: string }> }>;
    expect(doc).toHaveLength(1);
    expect(doc[0]!.candidates[0]!.finishReason).toBe('STOP');
  });
}
