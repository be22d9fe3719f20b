/**
 * The per-token fast paths write exactly what the general paths write:
 * - an OpenAI-kind engine's read of plain token frames relayed as its own bytes, against the same
 *   stream relayed one byte per read (every read then takes the decode-parse-encode path);
 * - an Ollama token line read without parsing the whole object, against JSON.parse of the line;
 * - an OpenAI chat text delta written from the stream's template, against JSON.stringify of the
 *   delta object; and the chat writer's choice of path, event by event.
 * Tricky inputs: quotes, backslashes, newlines and control characters in the text, non-ASCII and
 * emoji (cut across reads), lone surrogates, invalid UTF-8, usage and error chunks, CRLF,
 * comments, `event:` lines, a byte-order mark, thinking, tool calls and logprobs.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { upstreamSchema } from '../../origin/config/schema.ts';
import { UpstreamClient } from '../../origin/upstream/client.ts';
import type { OpenedUpstream } from '../../origin/pipeline/open-upstream.ts';
import type { RequestRecord } from '../../origin/core/record.ts';
import type { GenerationEvent } from '../../origin/core/generation.ts';
import { relayOpenAi } from '../../origin/upstream/dialects/openai/relay.ts';
import { plainDataFrames } from '../../origin/upstream/dialects/openai/sse-chunks.ts';
import { readTokenLine } from '../../origin/upstream/dialects/ollama/token-line.ts';
import { ollamaDecoder } from '../../origin/upstream/dialects/ollama/stream.ts';
import type { OllamaChatChunk } from '../../origin/upstream/dialects/ollama/types.ts';
import { ChunkWriter, withReasoning } from '../../origin/dialects/client/openai-common/chunks.ts';
import { openaiChat } from '../../origin/dialects/client/openai-chat/index.ts';
import type { ChatCompletionRequest } from '../../shared/schemas/openai.ts';
import { encodeData } from '../../shared/sse.ts';
import { generalChatFrames } from '../helpers/chat-reference.ts';

const enc = new TextEncoder();
const upstream = new UpstreamClient(upstreamSchema.parse({ name: 'up', url: 'http://127.0.0.1:9', idleTimeoutMs: 1000 }));
afterAll(() => upstream.close());
const opened = { upstream } as unknown as OpenedUpstream;

/** Text that JSON and UTF-8 get wrong when handled by hand. */
const trickyText = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '"', '\\', '\\"', '\n', '\r\n', '\u0000\u001f', '<>&', '\u2028\u2029', 'año 🦙', '🎉', '\ud83d', '\ude00x', '"usage"', '"error"', 'data: {', '}\n\n'),
);

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('OpenAI-kind engine → OpenAI client: a read of plain token frames relayed as it came', () => {
  const tokenFrame = (content: string) => `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}]}\n\n`;
  /** Frames an engine may send; the plain token frame most often. */
  const frame = fc.oneof(
    { weight: 6, arbitrary: trickyText.map((t) => enc.encode(tokenFrame(t))) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'data: {"id":"c","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}\n\n',
        'data: {"id":"c","choices":[{"index":0,"delta":{"content":"x"}}],"usage":null}\n\n',
        'data: {"error":{"message":"boom"}}\n\n',
        'data: {"id":"c","note":"the error word"}\n\n',
        'data:{"id":"c","choices":[]}\n\n',
        'data: {"id":"c","choices":[]}\r\n\r\n',
        ': keepalive\n\n',
        'event: message\ndata: {"id":"c","choices":[]}\n\n',
        'id: 7\ndata: {"id":"c","choices":[]}\n\n',
        'data: {"id":"c",\ndata: "choices":[]}\n\n',
        'data: {not json}\n\n',
        'data: [1]\n\n',
        '\n',
      ).map((f) => enc.encode(f)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 3 }).map((bad) => concat([enc.encode('data: {"id":"'), bad, enc.encode('"}\n\n')])) },
  );
  const stream = fc.record({
    bom: fc.boolean(),
    /** A byte-order mark in front of this frame, after the stream began (text, not a mark, to every decoder). */
    laterBom: fc.nat({ max: 12 }),
    frames: fc.array(frame, { maxLength: 12 }),
    done: fc.boolean(),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
    includeUsage: fc.boolean(),
  });

  /** What a client gets: the bytes, and how the stream ends. */
  function run(reads: Uint8Array[], includeUsage: boolean) {
    const out: Uint8Array[] = [];
    const rec = { requestId: 'r' } as RequestRecord;
    const r = relayOpenAi(opened, (f) => out.push(f.slice()), { includeUsage, rec });
    let end = 'open';
    try {
      for (const read of reads) {
        if (r.chunk(read)) {
          end = 'done';
          break;
        }
      }
    } catch (err) {
      end = `error: ${(err as Error).message}`;
    }
    return { bytes: Buffer.from(concat(out)).toString('latin1'), end, promptTokens: rec.promptTokens, completionTokens: rec.completionTokens };
  }

  it('writes the same bytes and ends the same way as the stream relayed a byte per read', () => {
    let passed = 0;
    fc.assert(
      fc.property(stream, ({ bom, laterBom, frames: sent, done, cuts, includeUsage }) => {
        const frames = sent.map((f, i) => (i > 0 && i === laterBom ? concat([Uint8Array.of(0xef, 0xbb, 0xbf), f]) : f));
        const whole = concat([bom ? Uint8Array.of(0xef, 0xbb, 0xbf) : new Uint8Array(0), ...frames, done ? enc.encode('data: [DONE]\n\n') : new Uint8Array(0)]);
        // Reads cut at frame ends (the engine's usual writes) and anywhere else.
        const at = new Set<number>();
        let end = 0;
        for (const f of frames) at.add((end += f.length) + (bom ? 3 : 0));
        for (const c of cuts) at.add(c % (whole.length + 1));
        const points = [0, ...[...at].filter((p) => p > 0 && p < whole.length).sort((a, b) => a - b), whole.length];
        const reads = points.slice(1).map((p, i) => Buffer.from(whole.subarray(points[i], p)));
        for (const read of reads) if (plainDataFrames(read)) passed++;
        const bytewise = [...whole].map((b) => Buffer.of(b));
        expect(run(reads, includeUsage)).toEqual(run(bytewise, includeUsage));
      }),
      { numRuns: 400 },
    );
    // The property says something only if the fast path ran.
    expect(passed).toBeGreaterThan(100);
  });

  it('takes only whole plain frames: a frame cut by the read, or one it must read, goes the general way', () => {
    const token = enc.encode(tokenFrame('año 🦙'));
    expect(plainDataFrames(token)).toBe(true);
    expect(plainDataFrames(concat([token, token]))).toBe(true);
    expect(plainDataFrames(token.subarray(0, token.length - 1))).toBe(false);
    expect(plainDataFrames(token.subarray(0, token.indexOf(0xf0) + 2))).toBe(false);
    expect(plainDataFrames(enc.encode('data: {"choices":[],"usage":{"prompt_tokens":1}}\n\n'))).toBe(false);
    expect(plainDataFrames(enc.encode('data: {"error":"x"}\n\n'))).toBe(false);
    expect(plainDataFrames(enc.encode('data: [DONE]\n\n'))).toBe(false);
    expect(plainDataFrames(concat([token, Uint8Array.of(0xff)]))).toBe(false);
    expect(plainDataFrames(enc.encode('data: {"a":"\ud800"}\n\n'))).toBe(true);
    expect(plainDataFrames(concat([enc.encode('data: {"a":"'), Uint8Array.of(0xed, 0xa0, 0x80), enc.encode('"}\n\n')]))).toBe(false);
  });

  it('reads the usage and error chunks that come in reads of their own', () => {
    const token = Buffer.from(tokenFrame('x'));
    for (const last of ['data: {"id":"c","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}\n\n', 'data: {"error":{"message":"boom"}}\n\n']) {
      const reads = [token, token, Buffer.from(last)];
      const got = run(reads, false);
      expect(got).toEqual(run([...Buffer.concat(reads)].map((b) => Buffer.of(b)), false));
      expect(got.end === 'open' ? got.promptTokens : got.end).toEqual(last.includes('usage') ? 7 : expect.stringContaining('boom'));
    }
  });

  it('drops a byte-order mark only at the start of the stream, when the first read was relayed as it came too', () => {
    const token = enc.encode(tokenFrame('x'));
    const withBom = concat([Uint8Array.of(0xef, 0xbb, 0xbf), token]);
    for (const reads of [[token, withBom], [withBom, token], [token, token.subarray(0, 5), token.subarray(5), withBom]]) {
      const got = run(reads.map((r) => Buffer.from(r)), false);
      expect(got).toEqual(run([...concat(reads)].map((b) => Buffer.of(b)), false));
    }
  });
});

describe('Ollama engine: a token line read without parsing the object', () => {
  const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
  const goString = (s: string) => JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!);
  const str = fc.oneof(trickyText.map(goString), trickyText.map((s) => JSON.stringify(s)), fc.constantFrom('"a\\x"', '"\\u12"', '"a\tb"', '"ab', '"\\"', '"\\\\"'));
  const line = fc
    .record({
      model: fc.oneof({ weight: 4, arbitrary: fc.constant('"gpt-oss:20b"') }, { weight: 1, arbitrary: str }),
      time: fc.constantFrom('"2025-01-02T03:04:05.678901234Z"', '"2025-01-02T03:04:05Z"', '""'),
      chat: fc.boolean(),
      role: fc.constantFrom('assistant', 'assistant', 'user'),
      content: str,
      thinking: fc.option(str),
      tail: fc.constantFrom(',"done":false}', ',"done":false}', ',"done":false}', ',"done":false}', ',"done":false}', ',"done":false}', ',"done":true}', ',"done":false,"logprobs":[{"token":"a","logprob":-1}]}', ',"done":false} ', ',"done":false}\r', ',"error":"x","done":false}'),
      extra: fc.constantFrom('', '', '', '', '', '', ',"tool_calls":[{"function":{"name":"f","arguments":{}}}]', ',"images":null'),
      bad: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 2 })) }),
    })
    .map(({ model, time, chat, role, content, thinking, tail, extra, bad }) => {
      const th = thinking === null ? '' : `,"thinking":${thinking}`;
      const body = chat ? `"message":{"role":"${role}","content":${content}${th}${extra}}` : `"response":${content}${th}`;
      const bytes = Buffer.from(`{"model":${model},"created_at":${time},${body}${tail}`);
      if (bad === null) return bytes;
      // Bytes that are not UTF-8, or not what the form expects, anywhere in the line.
      const [at, b] = bad;
      const i = at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, i), b, bytes.subarray(i)]);
    });

  /** What the decoder reads off the parsed line, when the line is a plain token. */
  function parsed(bytes: Buffer): { text: string; thinking: string | undefined } | 'not a plain token' {
    let chunk: OllamaChatChunk;
    try {
      chunk = JSON.parse(new TextDecoder().decode(bytes)) as OllamaChatChunk;
    } catch {
      return 'not a plain token';
    }
    const m = chunk.message;
    if (typeof chunk.error === 'string' || chunk.done || m?.tool_calls?.length || chunk.logprobs?.length) return 'not a plain token';
    return { text: m ? m.content : (chunk.response ?? ''), thinking: m ? m.thinking : chunk.thinking };
  }

  it('reads what JSON.parse reads, and only lines that are plain tokens', () => {
    let read = 0;
    fc.assert(
      fc.property(line, (bytes) => {
        const out = { text: '', thinking: undefined as string | undefined };
        // At an offset in a larger read, as lines come.
        const framed = Buffer.concat([Buffer.from('xx\n'), bytes, Buffer.from('\nyy')]);
        if (!readTokenLine(framed, 3, 3 + bytes.length, out)) return;
        read++;
        expect(out).toEqual(parsed(bytes));
      }),
      { numRuns: 3000 },
    );
    expect(read).toBeGreaterThan(200);
  });

  it('gives the same events as the parsed line, across reads that cut lines and characters', () => {
    const lines = ['Hola', ' año 🦙', ' "quoted"\n', '<b>&</b>', '\\'].map((t) => `{"model":"m","created_at":"2025-01-02T03:04:05Z","message":{"role":"assistant","content":${goString(t)}},"done":false}`);
    lines.push('{"model":"m","created_at":"2025-01-02T03:04:05Z","message":{"role":"assistant","content":"","thinking":"hmm \\u003c"},"done":false}');
    lines.push('{"model":"m","created_at":"2025-01-02T03:04:05Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]},"done":false}');
    lines.push('{"model":"m","created_at":"2025-01-02T03:04:05Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":7}');
    const bytes = enc.encode(lines.join('\n') + '\n');
    const events = (cuts: number[]) => {
      const d = ollamaDecoder(opened, { requestId: 'r' });
      const got: GenerationEvent[] = [];
      const on = (ev: GenerationEvent) => got.push(structuredClone(ev));
      let from = 0;
      for (const c of [...cuts, bytes.length]) {
        d.chunk(Buffer.from(bytes.subarray(from, c)), on);
        from = c;
      }
      return got;
    };
    const whole = events([]);
    expect(whole.map((e) => (e.type === 'delta' ? [e.text, e.thinking] : e.type))).toEqual([
      ['Hola', undefined],
      [' año 🦙', undefined],
      [' "quoted"\n', undefined],
      ['<b>&</b>', undefined],
      ['\\', undefined],
      ['', 'hmm <'],
      ['', undefined],
      ['', undefined],
      'done',
    ]);
    const emoji = bytes.indexOf(0xf0);
    expect(events([emoji + 1, emoji + 3])).toEqual(whole);
    expect(events([...bytes.keys()].slice(1))).toEqual(whole);
  });
});

describe('OpenAI chat writer: a text delta written from the template', () => {
  const writer = new ChunkWriter('chatcmpl-0123456789abcdef01234567', 'chat.completion.chunk', 1765000000, 'm "quoted" 🦙');
  const general = (text: string, thinking: string | undefined) => {
    const delta: Record<string, unknown> = { content: text };
    withReasoning(delta, thinking);
    return encodeData(writer.chat(delta));
  };

  it('writes the bytes JSON.stringify of the delta would', () => {
    fc.assert(
      fc.property(trickyText, fc.option(trickyText, { nil: undefined }), (text, thinking) => {
        expect(Buffer.from(writer.contentFrame(text, thinking)).equals(Buffer.from(general(text, thinking)))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  const req = { model: 'm', stream: true, messages: [] } as unknown as ChatCompletionRequest;
  /** The writer before the template, event by event (ids and times made equal below). */
  function reference(events: GenerationEvent[]): string[] {
    return generalChatFrames(new ChunkWriter('ID', 'chat.completion.chunk', 0, 'm'), events, false).map((f) => new TextDecoder().decode(f));
  }

  it('picks the template only where the general path would write a text delta', () => {
    const delta = (e: Partial<Extract<GenerationEvent, { type: 'delta' }>>): GenerationEvent => ({ type: 'delta', text: '', ...e });
    const events: GenerationEvent[] = [
      delta({ text: 'Hi' }),
      delta({ text: '' }),
      delta({ text: ' año 🦙' }),
      delta({ text: '', thinking: '' }),
      delta({ text: '', thinking: 'hmm "x"' }),
      delta({ text: 'a', thinking: 'b' }),
      delta({ text: '', toolCalls: [{ id: 'call_1', name: 'f', arguments: { a: 1 } }] }),
      delta({ text: 'x', logprobs: [{ token: 'x', logprob: -0.5 }] }),
      delta({ text: '', logprobs: [] }),
      delta({ text: 'end', toolCalls: [] }),
    ];
    const w = openaiChat.writer(req, { requestId: 'r' }, {} as never);
    const got: string[] = [];
    for (const ev of events) {
      const out = w.write(ev);
      for (const f of out === undefined ? [] : out instanceof Uint8Array ? [out] : out) got.push(new TextDecoder().decode(f));
    }
    const same = (s: string) => s.replace(/"id":"chatcmpl-[0-9a-f]+"/, '"id":"ID"').replace(/"created":\d+/, '"created":0');
    expect(got.map(same)).toEqual(reference(events));
  });
});
