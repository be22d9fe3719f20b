/**
 * A stream that breaks after its first byte ends in the client's own dialect: Anthropic's
 * `event: error` (api_error), Responses' `response.failed` then `error`; and the edge's stream
 * guard appends the same frames when the origin's stream is cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardStream } from '../../edge/forward/stream-guard.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';

let stack: OriginStack;
beforeAll(async () => {
  stack = await startOriginStack({ sim: { timeScale: 0.05 } });
});
afterAll(() => stack?.close());

const post = (path: string, body: unknown) =>
  fetch(`${stack.origin.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('a stream the engine fails mid-way, at the origin', () => {
  it('Anthropic: ends with event: error (api_error), never message_stop', async () => {
    const res = await post('/v1/messages', { model: 'gpt-oss:20b', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi [[sim:tokens=20,fault=error,after=3]]' }] });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^event: message_start\n/);
    expect(text).not.toContain('message_stop');
    const last = text.trimEnd().split('\n\n').at(-1)!;
    expect(last).toMatch(/^event: error\ndata: /);
    expect(JSON.parse(last.split('data: ')[1]!)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('OpenAI chat: an engine fault reads as OpenAI\'s own server_error', async () => {
    const res = await post('/v1/chat/completions', { model: 'gpt-oss:20b', stream: true, messages: [{ role: 'user', content: 'hi [[sim:tokens=20,fault=error,after=3]]' }] });
    const last = (await res.text()).trimEnd().split('\n\n').at(-1)!;
    expect(last).toMatch(/^event: error\ndata: /);
    expect(JSON.parse(last.split('data: ')[1]!)).toMatchObject({ error: { type: 'server_error', code: 'upstream_error', retryable: true } });
  });

  it('Responses: ends with response.failed and then the error event', async () => {
    const res = await post('/v1/responses', { model: 'gpt-oss:20b', stream: true, input: 'hi [[sim:tokens=20,fault=error,after=3]]' });
    expect(res.status).toBe(200);
    const frames = (await res.text()).trimEnd().split('\n\n');
    expect(frames[0]).toMatch(/^event: response.created\n/);
    expect(frames.at(-2)).toMatch(/^event: response.failed\n/);
    expect(frames.at(-1)).toMatch(/^event: error\n/);
    expect(frames.join('\n')).not.toContain('response.completed');
  });
});

describe('the edge stream guard speaks each dialect', () => {
  const enc = new TextEncoder();
  const cut = (text: string) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode(text));
        c.close();
      },
    });
  const drain = async (s: ReadableStream<Uint8Array>) => new Response(s).text();

  it('Anthropic: a cut stream gets event: error; one ended by message_stop gets nothing', async () => {
    const start = 'event: message_start\ndata: {"type":"message_start"}\n\n';
    const out = await drain(guardStream(cut(start + 'event: content_block_delta\ndata: {"ty'), { kind: 'sse', dialect: 'anthropic', requestId: 'req_1' }));
    expect(out).toMatch(/\n\nevent: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    const done = start + 'event: message_stop\ndata: {"type":"message_stop"}\n\n';
    expect(await drain(guardStream(cut(done), { kind: 'sse', dialect: 'anthropic', requestId: 'req_1' }))).toBe(done);
  });

  it('Responses: a cut stream gets response.failed and error; one ended by response.completed gets nothing', async () => {
    const start = 'event: response.created\ndata: {"type":"response.created"}\n\n';
    const out = await drain(guardStream(cut(start), { kind: 'sse', dialect: 'responses', requestId: 'req_1' }));
    expect(out).toContain('event: response.failed\n');
    expect(out.trimEnd().split('\n\n').at(-1)).toMatch(/^event: error\n/);
    const done = start + 'event: response.completed\ndata: {"type":"response.completed"}\n\n';
    expect(await drain(guardStream(cut(done), { kind: 'sse', dialect: 'responses', requestId: 'req_1' }))).toBe(done);
  });

  it('Responses: the guard names the response the origin named and numbers on from its last event', async () => {
    // The start of a real origin stream, cut mid-way through a delta.
    const res = await post('/v1/responses', { model: 'gpt-oss:20b', stream: true, input: 'hi [[sim:tokens=6]]' });
    const requestId = res.headers.get('x-request-id')!;
    const whole = await res.text();
    const cutAt = whole.indexOf('event: response.output_text.delta');
    const head = whole.slice(0, whole.indexOf('\n\n', cutAt) + 2) + 'event: response.output_text.delta\ndata: {"type":"resp';
    const out = await drain(guardStream(cut(head), { kind: 'sse', dialect: 'responses', requestId }));
    const events = out
      .split('\n\n')
      .filter((f) => f.includes('\ndata: {') && f.includes('"sequence_number"'))
      .map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)) as { type: string; sequence_number: number; response?: { id: string; error?: { code: string } } });
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.slice(-2).map((e) => e.type)).toEqual(['response.failed', 'error']);
    expect(new Set(events.filter((e) => e.response).map((e) => e.response!.id))).toEqual(new Set([`resp_${requestId}`]));
    expect(events.at(-2)!.response!.error!.code).toBe('server_error');
  });

  it('Responses: a stream cut before it named its response gets response.created first', async () => {
    const out = await drain(guardStream(cut(': keepalive\n\n'), { kind: 'sse', dialect: 'responses', requestId: 'req_cut_early' }));
    const types = [...out.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(types).toEqual(['response.created', 'response.failed', 'error']);
  });
});
