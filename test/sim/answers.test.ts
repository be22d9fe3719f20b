/**
 * What the simulator answers besides prose, as gpt-oss on Ollama does: thinking before content,
 * tool calls (harmony: one, on the done line; template parser: several, one chunk each),
 * logprobs, structured output for `format`, and the token-repeat abort (a 200 that just ends).
 */
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastModels, raw } from './helpers.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.01, models: fastModels(), preloaded: ['llama3.2:3b', 'gpt-oss:20b'] });
});
afterAll(async () => {
  await sim.close();
});

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
    },
  },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string', enum: ['UTC', 'CET'] } } } } },
];

interface Line {
  message?: { content: string; thinking?: string; tool_calls?: Array<{ id: string; function: { index: number; name: string; arguments: Record<string, unknown> } }> };
  response?: string;
  done: boolean;
  done_reason?: string;
  eval_count?: number;
  logprobs?: Array<{ token: string; logprob: number; bytes?: number[]; top_logprobs?: Array<{ token: string; logprob: number }> }>;
}

const lines = (body: string): Line[] => body.trim().split('\n').map((l) => JSON.parse(l) as Line);

describe('thinking', () => {
  it('native: every thinking chunk comes before the first content chunk', async () => {
    const r = await raw(sim.url, '/api/chat', { model: 'gpt-oss:20b', think: 'high', messages: [{ role: 'user', content: 'why? [[sim:tokens=30]]' }] });
    const ls = lines(r.body);
    const kinds = ls.filter((l) => !l.done).map((l) => (l.message?.thinking ? 't' : 'c')).join('');
    expect(kinds).toMatch(/^t+c+$/);
  });

  it('/v1: reasoning deltas before content deltas when reasoning_effort asks for it', async () => {
    const openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x' });
    const stream = await openai.chat.completions.create({ model: 'gpt-oss:20b', reasoning_effort: 'low', stream: true, messages: [{ role: 'user', content: 'why? [[sim:tokens=30]]' }] });
    let kinds = '';
    for await (const c of stream) {
      const d = c.choices[0]?.delta as { content?: string; reasoning?: string } | undefined;
      if (d?.reasoning) kinds += 't';
      else if (d?.content) kinds += 'c';
    }
    expect(kinds).toMatch(/^t+c+$/);
  });
});

describe('tool calls', () => {
  it('gpt-oss (harmony): thinking, then one call on the done line, with an id', async () => {
    const r = await raw(sim.url, '/api/chat', { model: 'gpt-oss:20b', think: true, tools, messages: [{ role: 'user', content: 'weather in Paris? [[sim:call=get_weather|get_time,tokens=20]]' }] });
    const ls = lines(r.body);
    const last = ls[ls.length - 1]!;
    expect(last.done).toBe(true);
    expect(last.done_reason).toBe('stop');
    expect(last.message?.tool_calls).toHaveLength(1);
    const call = last.message!.tool_calls![0]!;
    expect(call.id).toMatch(/^call_[a-z0-9]{8}$/);
    expect(call.function).toMatchObject({ index: 0, name: 'get_weather' });
    expect(Object.keys(call.function.arguments)).toEqual(['city', 'days']);
    expect(ls.slice(0, -1).every((l) => !l.message?.tool_calls && l.message?.content === '')).toBe(true);
    expect(ls.slice(0, -1).some((l) => l.message?.thinking)).toBe(true);
    // Key order as Go writes api.ToolCall.
    expect(r.body).toMatch(/"tool_calls":\[\{"id":"call_[a-z0-9]{8}","function":\{"index":0,"name":"get_weather","arguments":\{"city":/);
  });

  it('template parser: several calls across chunks, numbered, and the done line carries none', async () => {
    const r = await raw(sim.url, '/api/chat', { model: 'llama3.2:3b', tools, messages: [{ role: 'user', content: 'both [[sim:call=*]]' }] });
    const ls = lines(r.body);
    const withCalls = ls.filter((l) => l.message?.tool_calls);
    expect(withCalls).toHaveLength(2);
    expect(withCalls.map((l) => l.message!.tool_calls![0]!.function.index)).toEqual([0, 1]);
    expect(withCalls.map((l) => l.message!.tool_calls![0]!.function.name)).toEqual(['get_weather', 'get_time']);
    expect(new Set(withCalls.map((l) => l.message!.tool_calls![0]!.id)).size).toBe(2);
    expect(ls[ls.length - 1]).toMatchObject({ done: true, done_reason: 'stop' });
    expect(ls[ls.length - 1]!.message?.tool_calls).toBeUndefined();
  });

  it('the official ollama client reads them, non-streamed too, and args can be given', async () => {
    const ollama = new Ollama({ host: sim.url });
    const args = encodeURIComponent(JSON.stringify({ city: 'San José' }));
    const r = await ollama.chat({ model: 'llama3.2:3b', stream: false, tools: tools as never, messages: [{ role: 'user', content: `[[sim:call=get_weather|get_time,args=${args}]]` }] });
    expect(r.message.tool_calls?.map((c) => [c.function.name, c.function.arguments])).toEqual([
      ['get_weather', { city: 'San José' }],
      ['get_time', { city: 'San José' }],
    ]);
  });

  it('a tool result gets a prose answer (the turn ends), and unknown tools are not called', async () => {
    const turn = [
      { role: 'user', content: 'weather? [[sim:call=get_weather]]' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', function: { name: 'get_weather', arguments: { city: 'x' } } }] },
      { role: 'tool', content: 'sunny', tool_call_id: 'call_1' },
    ];
    const after = lines((await raw(sim.url, '/api/chat', { model: 'gpt-oss:20b', tools, messages: turn })).body);
    expect(after.some((l) => l.message?.tool_calls)).toBe(false);
    expect(after.map((l) => l.message?.content ?? '').join('')).not.toBe('');
    const unknown = lines((await raw(sim.url, '/api/chat', { model: 'gpt-oss:20b', tools, messages: [{ role: 'user', content: '[[sim:call=nope]]' }] })).body);
    expect(unknown.some((l) => l.message?.tool_calls)).toBe(false);
    const noTools = lines((await raw(sim.url, '/api/chat', { model: 'gpt-oss:20b', messages: [{ role: 'user', content: '[[sim:call=*]]' }] })).body);
    expect(noTools.some((l) => l.message?.tool_calls)).toBe(false);
  });

  it('/v1: the openai client assembles each call; finish_reason tool_calls (stream and not)', async () => {
    const openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x' });
    const stream = openai.chat.completions.stream({ model: 'llama3.2:3b', tools: tools as never, messages: [{ role: 'user', content: '[[sim:call=*]]' }] });
    const done = await stream.finalChatCompletion();
    expect(done.choices[0]?.finish_reason).toBe('tool_calls');
    const calls = done.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => c.type === 'function' && c.function.name)).toEqual(['get_weather', 'get_time']);
    for (const c of calls) if (c.type === 'function') expect(() => JSON.parse(c.function.arguments) as unknown).not.toThrow();

    const harmony = await openai.chat.completions.create({ model: 'gpt-oss:20b', tools: tools as never, messages: [{ role: 'user', content: '[[sim:call=get_time]]' }] });
    expect(harmony.choices[0]?.finish_reason).toBe('tool_calls');
    const h = harmony.choices[0]?.message.tool_calls?.[0];
    expect(h?.type === 'function' && h.function.name).toBe('get_time');
    expect(h?.id).toMatch(/^call_/);

    const raw1 = await raw(sim.url, '/v1/chat/completions', { model: 'gpt-oss:20b', stream: true, tools, messages: [{ role: 'user', content: '[[sim:call=get_time]]' }] });
    const events = raw1.body.split('\n\n').filter(Boolean);
    expect(events[events.length - 1]).toBe('data: [DONE]');
    const finish = JSON.parse(events[events.length - 2]!.slice(6)) as { choices: Array<{ delta: unknown; finish_reason: string }> };
    // The done line delivers the harmony call: one chunk carries it and the finish reason (openai.ToChunk).
    expect(finish.choices[0]).toMatchObject({ delta: { role: 'assistant', content: '' }, finish_reason: 'tool_calls' });
    expect(events[events.length - 2]).toContain('"tool_calls":[{"id":"call_');
  });
});

describe('logprobs', () => {
  it('native: one api.Logprob per token with bytes and top_logprobs; 400 beyond 20', async () => {
    const r = await raw(sim.url, '/api/chat', { model: 'llama3.2:3b', logprobs: true, top_logprobs: 3, messages: [{ role: 'user', content: 'x [[sim:tokens=5]]' }] });
    const ls = lines(r.body).filter((l) => !l.done);
    expect(ls).toHaveLength(5);
    for (const l of ls) {
      const lp = l.logprobs?.[0];
      expect(lp?.token).toBe(l.message?.content);
      expect(lp?.logprob).toBeLessThanOrEqual(0);
      expect(Buffer.from(lp!.bytes!).toString('utf8')).toBe(lp?.token);
      expect(lp?.top_logprobs).toHaveLength(3);
      expect(lp!.top_logprobs![0]!.logprob).toBeGreaterThanOrEqual(lp!.top_logprobs![1]!.logprob);
    }
    const none = await raw(sim.url, '/api/chat', { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x [[sim:tokens=3]]' }] });
    expect(none.body).not.toContain('logprobs');
    const bad = await raw(sim.url, '/api/chat', { model: 'llama3.2:3b', logprobs: true, top_logprobs: 21, messages: [{ role: 'user', content: 'x' }] });
    expect(bad).toMatchObject({ status: 400, body: '{"error":"top_logprobs must be between 0 and 20"}' });
    const gen = JSON.parse((await raw(sim.url, '/api/generate', { model: 'llama3.2:3b', stream: false, logprobs: true, prompt: 'x [[sim:tokens=4]]' })).body) as Line;
    expect(gen.logprobs).toHaveLength(4);
  });

  it('/v1: choices[].logprobs.content, streamed and not', async () => {
    const openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x' });
    const one = await openai.chat.completions.create({ model: 'llama3.2:3b', logprobs: true, top_logprobs: 2, messages: [{ role: 'user', content: 'x [[sim:tokens=6]]' }] });
    const content = one.choices[0]?.logprobs?.content ?? [];
    expect(content).toHaveLength(6);
    expect(content.map((c) => c.token).join('')).toBe(one.choices[0]?.message.content);
    expect(content[0]?.top_logprobs).toHaveLength(2);
    const stream = await openai.chat.completions.create({ model: 'llama3.2:3b', logprobs: true, stream: true, messages: [{ role: 'user', content: 'x [[sim:tokens=4]]' }] });
    let n = 0;
    for await (const c of stream) n += c.choices[0]?.logprobs?.content?.length ?? 0;
    expect(n).toBe(4);
  });
});

describe('structured output', () => {
  const schema = {
    type: 'object',
    properties: { name: { type: 'string' }, age: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } }, ok: { type: 'boolean' }, kind: { enum: ['a', 'b'] } },
    required: ['name', 'age'],
  };

  it('native: format schema → streamed content is JSON with every property; "json" → an object', async () => {
    const r = await raw(sim.url, '/api/chat', { model: 'gpt-oss:20b', think: true, format: schema, messages: [{ role: 'user', content: 'who?' }] });
    const ls = lines(r.body);
    const kinds = ls.filter((l) => !l.done).map((l) => (l.message?.thinking ? 't' : 'c')).join('');
    expect(kinds).toMatch(/^t+c{5,}$/);
    const v = JSON.parse(ls.map((l) => l.message?.content ?? '').join('')) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['name', 'age', 'tags', 'ok', 'kind']);
    expect(typeof v.name).toBe('string');
    expect(Number.isInteger(v.age)).toBe(true);
    expect(['a', 'b']).toContain(v.kind);
    const json = JSON.parse((await raw(sim.url, '/api/generate', { model: 'llama3.2:3b', stream: false, format: 'json', prompt: 'x' })).body) as Line;
    expect(JSON.parse(json.response!)).toBeTypeOf('object');
  });

  it('/v1: response_format json_schema and json_object', async () => {
    const openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x' });
    const r = await openai.chat.completions.create({
      model: 'llama3.2:3b',
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema } },
      messages: [{ role: 'user', content: 'who?' }],
    });
    expect(Object.keys(JSON.parse(r.choices[0]!.message.content!) as object)).toEqual(['name', 'age', 'tags', 'ok', 'kind']);
    const o = await openai.chat.completions.create({ model: 'llama3.2:3b', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'x' }] });
    expect(JSON.parse(o.choices[0]!.message.content!)).toBeTypeOf('object');
  });
});

describe('token-repeat abort', () => {
  const ask = (extra: Record<string, unknown> = {}) => ({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x [[sim:fault=repeat,after=2]]' }], ...extra });

  it('native stream: 200, the same token 31 times, then the stream just ends (no done line, no error)', async () => {
    const r = await raw(sim.url, '/api/chat', ask());
    expect(r.status).toBe(200);
    const ls = lines(r.body);
    expect(ls.every((l) => !l.done)).toBe(true);
    expect(ls).toHaveLength(2 + 31);
    expect(new Set(ls.slice(2).map((l) => l.message?.content))).toEqual(new Set([' the']));
    expect(r.body).not.toContain('error');
    expect(sim.stats().faultsInjected.repeat).toBeGreaterThan(0);
  });

  it('native non-streamed: done false, no done_reason, no metrics', async () => {
    const one = JSON.parse((await raw(sim.url, '/api/chat', ask({ stream: false }))).body) as Line;
    expect(one.done).toBe(false);
    expect(one.done_reason).toBeUndefined();
    expect(one.eval_count).toBeUndefined();
    expect(one.message?.content).toContain(' the the');
  });

  it('/v1: the stream ends with no finish_reason, usage or [DONE]; non-streamed has finish_reason null and zero usage', async () => {
    const r = await raw(sim.url, '/v1/chat/completions', ask({ stream: true, stream_options: { include_usage: true } }));
    expect(r.status).toBe(200);
    expect(r.body).not.toContain('[DONE]');
    expect(r.body).not.toContain('"usage"');
    expect(r.body).not.toMatch(/"finish_reason":"/);
    const one = JSON.parse((await raw(sim.url, '/v1/chat/completions', ask())).body) as { choices: Array<{ finish_reason: null }>; usage: Record<string, number> };
    expect(one.choices[0]?.finish_reason).toBeNull();
    expect(one.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });
});

describe('stop sequences, as Ollama applies them', () => {
  const ask = (stop?: string[]) => ({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'Tell me about rivers. [[sim:tokens=30]]' }], ...(stop ? { options: { stop } } : {}) });

  it('native: the answer ends before the stop, the stop is not sent, done_reason "stop" (streamed and whole)', async () => {
    const full = lines((await raw(sim.url, '/api/chat', ask())).body);
    const text = full.map((l) => l.message?.content ?? '').join('');
    const stop = text.split(' ').slice(6, 8).join(' ');
    const before = text.slice(0, text.indexOf(stop));
    const streamed = lines((await raw(sim.url, '/api/chat', ask([stop]))).body);
    expect(streamed.map((l) => l.message?.content ?? '').join('')).toBe(before);
    expect(streamed.at(-1)).toMatchObject({ done: true, done_reason: 'stop' });
    const whole = JSON.parse((await raw(sim.url, '/api/chat', { ...ask([stop]), stream: false })).body) as Line;
    expect(whole).toMatchObject({ done_reason: 'stop', message: { content: before } });
    // A stop never said changes nothing.
    const never = lines((await raw(sim.url, '/api/chat', ask(['never-said']))).body);
    expect(never.map((l) => l.message?.content ?? '').join('')).toBe(text);
  });

  it('/v1: `stop` (a string or a list) cuts the same way, finish_reason "stop"', async () => {
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x' });
    const messages = [{ role: 'user' as const, content: 'Tell me about lakes. [[sim:tokens=30]]' }];
    const full = (await client.chat.completions.create({ model: 'llama3.2:3b', messages })).choices[0]!.message.content!;
    const stop = full.split(' ').slice(5, 7).join(' ');
    const cut = await client.chat.completions.create({ model: 'llama3.2:3b', messages, stop });
    expect(cut.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: full.slice(0, full.indexOf(stop)) } });
    let streamed = '';
    for await (const c of await client.chat.completions.create({ model: 'llama3.2:3b', messages, stop: [stop], stream: true })) streamed += c.choices[0]?.delta.content ?? '';
    expect(streamed).toBe(full.slice(0, full.indexOf(stop)));
  });
});
