/**
 * The synchronous upstream paths, read by read: an OpenAI-kind engine's SSE relayed to an OpenAI
 * client (bytes as `data: …` frames, only the usage chunk parsed, errors typed), and both
 * engines' streams decoded into events for the other dialects.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { upstreamSchema } from '../../origin/config/schema.ts';
import { UpstreamClient } from '../../origin/upstream/client.ts';
import type { OpenedUpstream } from '../../origin/pipeline/open-upstream.ts';
import type { RequestRecord } from '../../origin/core/record.ts';
import type { GenerationEvent } from '../../origin/core/generation.ts';
import { relayOpenAi } from '../../origin/upstream/dialects/openai/relay.ts';
import { openaiDecoder } from '../../origin/upstream/dialects/openai/stream.ts';
import { ollamaDecoder } from '../../origin/upstream/dialects/ollama/stream.ts';
import { PuertaError } from '../../shared/errors.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
// A real client (its pool connects to nothing here): only its name and body-failure typing are used.
const upstream = new UpstreamClient(upstreamSchema.parse({ name: 'up', url: 'http://127.0.0.1:9', idleTimeoutMs: 1000 }));
afterAll(() => upstream.close());
const opened = { upstream } as unknown as OpenedUpstream;
const record = () => ({ requestId: 'r' }) as RequestRecord;

function relay(includeUsage: boolean) {
  const frames: string[] = [];
  const rec = record();
  const r = relayOpenAi(opened, (f) => frames.push(dec.decode(f)), { includeUsage, rec });
  return { frames, rec, r };
}

const chunk = (content: string) => `{"id":"c","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}],"usage":null}`;
const usage = '{"id":"c","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}';

describe('OpenAI-kind upstream → OpenAI client (relayed, not re-encoded per event)', () => {
  it('relays each read as one frame of `data:` events, whatever the engine\'s line endings and extra fields', () => {
    const { frames, r } = relay(true);
    expect(r.chunk(enc.encode(`: ping\r\ndata: ${chunk('he')}\r\n\r\nid: 1\nevent: message\ndata: ${chunk('llo')}\n\n`))).toBe(false);
    expect(frames).toEqual([`data: ${chunk('he')}\n\ndata: ${chunk('llo')}\n\n`]);
  });

  it('joins an event cut across reads, a multi-byte character cut included', () => {
    const { frames, r } = relay(true);
    const bytes = enc.encode(`data: ${chunk('año 🦙')}\n\n`);
    r.chunk(bytes.subarray(0, 30));
    r.chunk(bytes.subarray(30, bytes.indexOf(0xf0) + 2));
    r.chunk(bytes.subarray(bytes.indexOf(0xf0) + 2));
    expect(frames).toEqual([`data: ${chunk('año 🦙')}\n\n`]);
  });

  it('charges the usage chunk and drops it when the client did not ask for it; [DONE] ends the answer', () => {
    const a = relay(false);
    expect(a.r.chunk(enc.encode(`data: ${chunk('x')}\n\ndata: ${usage}\n\ndata: [DONE]\n\n`))).toBe(true);
    expect(a.frames).toEqual([`data: ${chunk('x')}\n\n`, 'data: [DONE]\n\n']);
    expect(a.rec).toMatchObject({ promptTokens: 7, completionTokens: 3 });
    const b = relay(true);
    b.r.chunk(enc.encode(`data: ${usage}\n\ndata: [DONE]\n\n`));
    expect(b.frames).toEqual([`data: ${usage}\n\n`, 'data: [DONE]\n\n']);
  });

  it('a content token that reads "usage" or "error" is relayed, not mistaken for either', () => {
    const { frames, rec, r } = relay(false);
    r.chunk(enc.encode(`data: ${chunk('"usage": {"error": 1}')}\n\ndata: {"choices":[{"finish_reason":"error"}]}\n\n`));
    expect(frames).toHaveLength(1);
    expect(rec.promptTokens).toBeUndefined();
  });

  it('an error event or chunk fails typed, after the events before it in the same read', () => {
    const { frames, r } = relay(false);
    let err: unknown;
    try {
      r.chunk(enc.encode(`data: ${chunk('a')}\n\ndata: {"error":{"message":"engine fell over"}}\n\n`));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PuertaError);
    expect(err).toMatchObject({ upstream: 'error', message: expect.stringContaining('engine fell over') });
    expect(frames).toEqual([`data: ${chunk('a')}\n\n`]);
    const other = relay(false);
    expect(() => other.r.chunk(enc.encode('event: error\ndata: {"error":"boom"}\n\n'))).toThrow(/boom/);
  });

  it('data that is not JSON is a malformed upstream; a body that ends without [DONE] is truncated', () => {
    expect(() => relay(false).r.chunk(enc.encode('data: not json\n\n'))).toThrow(expect.objectContaining({ upstream: 'malformed' }));
    const { r } = relay(false);
    r.chunk(enc.encode(`data: ${chunk('a')}\n\n`));
    expect(() => r.end()).toThrow(expect.objectContaining({ upstream: 'truncated' }));
    expect(r.fail(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toMatchObject({ upstream: 'reset' });
  });
});

/** Events as plain copies: decoders reuse one delta object. */
function collect(): { evs: GenerationEvent[]; on: (ev: GenerationEvent) => void } {
  const evs: GenerationEvent[] = [];
  return { evs, on: (ev) => evs.push({ ...ev }) };
}

describe('engine streams decoded into events, read by read', () => {
  it('Ollama: a line per delta, done with the engine\'s counts, lines cut across reads', () => {
    const d = ollamaDecoder(opened, { requestId: 'r' });
    const { evs, on } = collect();
    const lines = '{"message":{"role":"assistant","content":"Hol"},"done":false}\n{"message":{"role":"assistant","content":"a"},"done":false}\n{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":5,"eval_count":2}\n';
    const bytes = enc.encode(lines);
    expect(d.chunk(bytes.subarray(0, 20), on)).toBe(false);
    expect(d.chunk(bytes.subarray(20), on)).toBe(true);
    expect(evs.map((e) => (e.type === 'delta' ? e.text : e.type))).toEqual(['Hol', 'a', '', 'done']);
    expect(evs.at(-1)).toEqual({ type: 'done', finish: 'stop', usage: { promptTokens: 5, completionTokens: 2 } });
  });

  it('Ollama: an error line is the engine\'s typed error; an end without done is truncated', () => {
    const d = ollamaDecoder(opened, { requestId: 'r' });
    expect(() => d.chunk(enc.encode('{"error":"out of memory"}\n'), () => {})).toThrow(expect.objectContaining({ upstream: 'error' }));
    const t = ollamaDecoder(opened, { requestId: 'r' });
    t.chunk(enc.encode('{"message":{"role":"assistant","content":"a"},"done":false}\n'), () => {});
    expect(() => t.end(() => {})).toThrow(expect.objectContaining({ upstream: 'truncated' }));
  });

  it('OpenAI: deltas, tool call fragments assembled, done with usage at [DONE]', () => {
    const d = openaiDecoder(opened, { requestId: 'r' });
    const { evs, on } = collect();
    const sse = [
      '{"choices":[{"delta":{"content":"Hi"}}]}',
      '{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"get","arguments":"{\\"a\\""}}]}}]}',
      '{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]},"finish_reason":"tool_calls"}]}',
      '{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":6}}',
      '[DONE]',
    ]
      .map((d) => `data: ${d}\n\n`)
      .join('');
    expect(d.chunk(enc.encode(sse), on)).toBe(true);
    expect(evs).toEqual([
      { type: 'delta', text: 'Hi', thinking: undefined, toolCalls: undefined, logprobs: undefined },
      { type: 'delta', text: '', toolCalls: [{ id: 'call_1', name: 'get', arguments: { a: 1 } }] },
      { type: 'done', finish: 'tool_calls', usage: { promptTokens: 4, completionTokens: 6 } },
    ]);
  });
});
