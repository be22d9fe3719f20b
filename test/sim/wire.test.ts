import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastModels, raw } from './helpers.ts';
import { chatBody as chat } from '../helpers/request.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.01, models: fastModels(), preloaded: ['llama3.2:3b'] });
});
afterAll(async () => {
  await sim.close();
});


describe('native framing', () => {
  it('streams ndjson lines with Go field order and a final metrics line', async () => {
    const r = await raw(sim.url, '/api/chat', chat('Hello [[sim:tokens=4]]'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-ndjson');
    const lines = r.body.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(5);
    for (const l of lines.slice(0, 4)) {
      expect(l).toMatch(/^\{"model":"llama3\.2:3b","created_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z","message":\{"role":"assistant","content":".*"\},"done":false\}$/);
    }
    const last = JSON.parse(lines[4]!) as Record<string, unknown>;
    expect(Object.keys(last)).toEqual(['model', 'created_at', 'message', 'done', 'done_reason', 'total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration']);
    expect(last).toMatchObject({ done: true, done_reason: 'stop', eval_count: 4, message: { role: 'assistant', content: '' } });
  });

  it('generate uses "response" and ends with context + metrics', async () => {
    const r = await raw(sim.url, '/api/generate', { model: 'llama3.2:3b', prompt: 'hi [[sim:tokens=2]]' });
    const lines = r.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(lines[0]!)).toEqual(['model', 'created_at', 'response', 'done']);
    expect(Object.keys(lines[2]!).slice(0, 6)).toEqual(['model', 'created_at', 'response', 'done', 'done_reason', 'context']);
  });

  it('escapes < > & like Go and keeps UTF-8 intact', async () => {
    const r = await raw(sim.url, '/api/chat', chat('x'), { 'x-sim-fault': 'error;after=0;message=<b>%20&%20</b>' });
    expect(r.status).toBe(500);
    expect(r.body).toBe('{"error":"\\u003cb\\u003e \\u0026 \\u003c/b\\u003e"}');
    const es = await raw(sim.url, '/api/chat', chat('¿Cómo funciona la caché de la región? Explícalo por favor. [[sim:tokens=60]]', { stream: false }));
    const content = (JSON.parse(es.body) as { message: { content: string } }).message.content;
    expect(content).toMatch(/[áéíóúñü¿¡]/);
    expect(Buffer.from(content, 'utf8').toString('utf8')).toBe(content);
    expect(es.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('stream:false is one JSON object with the concatenated content', async () => {
    const s = await raw(sim.url, '/api/chat', chat('same prompt [[sim:tokens=5]]'));
    const n = await raw(sim.url, '/api/chat', chat('same prompt [[sim:tokens=5]]', { stream: false }));
    const joined = s.body.trim().split('\n').map((l) => (JSON.parse(l) as { message: { content: string } }).message.content).join('');
    const one = JSON.parse(n.body) as { message: { content: string }; done: boolean; eval_count: number };
    expect(one.message.content).toBe(joined);
    expect(one.done).toBe(true);
    expect(n.body.endsWith('}')).toBe(true);
  });

  it('load and unload with empty messages', async () => {
    const load = JSON.parse((await raw(sim.url, '/api/chat', { model: 'gpt-oss:20b', messages: [] })).body) as Record<string, unknown>;
    expect(load).toMatchObject({ done: true, done_reason: 'load' });
    expect(sim.stats().models['gpt-oss:20b']?.loaded).toBe(true);
    const unload = JSON.parse((await raw(sim.url, '/api/generate', { model: 'gpt-oss:20b', keep_alive: 0 })).body) as Record<string, unknown>;
    expect(unload).toMatchObject({ response: '', done: true, done_reason: 'unload' });
    expect(sim.stats().models['gpt-oss:20b']?.loaded).toBe(false);
  });

  it('error texts: 404, 400, 500 options, keep_alive', async () => {
    expect(await raw(sim.url, '/api/chat', chat('x', { model: 'ghost' }))).toMatchObject({ status: 404, body: `{"error":"model 'ghost' not found"}` });
    expect(await raw(sim.url, '/api/embed', { model: 'ghost', input: 'x' })).toMatchObject({ status: 404, body: '{"error":"model \\"ghost\\" not found, try pulling it first"}' });
    expect(await raw(sim.url, '/api/chat', '')).toMatchObject({ status: 400, body: '{"error":"missing request body"}' });
    expect((await raw(sim.url, '/api/chat', '{"model":')).status).toBe(400);
    expect(await raw(sim.url, '/api/chat', chat('x', { options: { num_predict: 'ten', whatever: 1 } }))).toMatchObject({ status: 500, body: '{"error":"option \\"num_predict\\" must be of type integer"}' });
    expect((await raw(sim.url, '/api/chat', chat('x', { keep_alive: 'soon' }))).status).toBe(400);
    expect((await raw(sim.url, '/api/chat', chat('x', { think: true }))).body).toBe('{"error":"\\"llama3.2:3b\\" does not support thinking"}');
  });

  it('thinking models stream message.thinking first', async () => {
    const r = await raw(sim.url, '/api/chat', { model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'q [[sim:tokens=20]]' }], think: 'low' });
    const first = JSON.parse(r.body.split('\n')[0]!) as { message: { thinking?: string; content: string } };
    expect(first.message.thinking?.length).toBeGreaterThan(0);
    expect(first.message.content).toBe('');
  });

  it('misc routes', async () => {
    expect(await raw(sim.url, '/')).toMatchObject({ status: 200, body: 'Ollama is running' });
    expect(JSON.parse((await raw(sim.url, '/api/version')).body)).toHaveProperty('version');
    const ps = JSON.parse((await raw(sim.url, '/api/ps')).body) as { models: Array<Record<string, unknown>> };
    expect(Object.keys(ps.models[0]!)).toEqual(['name', 'model', 'size', 'digest', 'details', 'expires_at', 'size_vram', 'context_length']);
    const legacy = JSON.parse((await raw(sim.url, '/api/embeddings', { model: 'nomic-embed-text', prompt: 'hola' })).body) as { embedding: number[] };
    expect(legacy.embedding).toHaveLength(768);
  });
});

describe('OpenAI layer framing', () => {
  it('SSE: role in every delta, finish chunk with empty content, usage chunk, [DONE]', async () => {
    const r = await raw(sim.url, '/v1/chat/completions', { ...chat('hi [[sim:tokens=3]]'), stream: true, stream_options: { include_usage: true } });
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.headers['cache-control']).toBeUndefined();
    const events = r.body.split('\n\n');
    expect(events.pop()).toBe('');
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as { choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>; usage?: unknown });
    expect(chunks).toHaveLength(5);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks[1]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks[3]!.choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: 'stop' });
    expect(chunks[4]).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });
    expect(events[0]).toMatch(/^data: \{"id":"chatcmpl-\d+","object":"chat\.completion\.chunk","created":\d+,"model":"llama3\.2:3b","system_fingerprint":"fp_ollama","choices":\[/);
  });

  it('a mid-stream error is lost: empty delta, no finish, no [DONE]', async () => {
    const r = await raw(sim.url, '/v1/chat/completions', { ...chat('hi [[sim:fault=error,after=2]]'), stream: true });
    expect(r.status).toBe(200);
    const events = r.body.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(3);
    expect(events.at(-1)).toContain('"model":"","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]');
    expect(r.body).not.toContain('[DONE]');
  });

  it('errors before streaming use the OpenAI error object: the layer\'s own checks by status, the handler\'s as api_error', async () => {
    const r = await raw(sim.url, '/v1/chat/completions', { model: 'llama3.2:3b', messages: [] });
    expect(r).toMatchObject({ status: 400, body: `{"error":{"message":"[] is too short - 'messages'","type":"invalid_request_error","param":null,"code":null}}` });
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const missing = await raw(sim.url, '/v1/chat/completions', { model: 'ghost', messages: [{ role: 'user', content: 'x' }] });
    expect(missing).toMatchObject({ status: 404, body: `{"error":{"message":"model 'ghost' not found","type":"api_error","param":null,"code":null}}\n` });
  });
});

describe('host check', () => {
  it('403 with an empty body for a public Host, allowed for local names', async () => {
    const s = await startSimulator({ hostCheck: true, models: fastModels() });
    try {
      const { request } = await import('node:http');
      const get = (host: string) =>
        new Promise<number>((resolve) => {
          request(`${s.url}/api/version`, { headers: { host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).end();
        });
      expect(await get('example.com')).toBe(403);
      expect(await get('8.8.8.8:11434')).toBe(403);
      for (const ok of ['localhost:11434', '127.0.0.1', '10.1.2.3', 'gpu.internal', 'box.local', 'a.localhost']) expect(await get(ok)).toBe(200);
      expect(s.stats().rejected['403']).toBe(2);
    } finally {
      await s.close();
    }
  });
});
