/**
 * The OpenAI chat stream's frames written from bytes (the stream's head, the first delta, text
 * deltas, the finish chunk) are the bytes the general encoder writes: `data: ` + the JSON of the
 * whole chunk object + a blank line, event by event, for any events, ids and model names; and an
 * Ollama line read as text without a TextDecoder is the text a TextDecoder reads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkWriter, withReasoning } from '../../origin/dialects/client/openai-common/chunks.ts';
import { encodeData } from '../../shared/sse.ts';
import { ChatChunkStream } from '../../origin/dialects/client/openai-chat/writer.ts';
import type { FinishReason, GenerationEvent } from '../../origin/core/generation.ts';
import { generalChatFrames } from '../helpers/chat-reference.ts';
import { decodeWhole } from '../../origin/upstream/whole-text.ts';

/** Text that JSON and UTF-8 get wrong when handled by hand. */
const text = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '"', '\\', '\n', '\u0000\u001f', '<>&', '\u2028\u2029', 'año 🦙', '\ud83d', '\ude00x', '"}]}\n\n'),
);
const finish = fc.constantFrom<FinishReason>('stop', 'length', 'tool_calls');

const delta = fc.record(
  {
    text,
    thinking: fc.option(text, { nil: undefined }),
    toolCalls: fc.option(fc.array(fc.record({ id: fc.string(), name: text, arguments: fc.dictionary(fc.string(), fc.jsonValue()) }), { maxLength: 2 }), { nil: undefined, freq: 2 }),
    logprobs: fc.option(fc.array(fc.record({ token: text, logprob: fc.double({ noNaN: true, noDefaultInfinity: true }) }), { maxLength: 2 }), { nil: undefined, freq: 2 }),
  },
  { requiredKeys: ['text'] },
).map((d): GenerationEvent => ({ type: 'delta', ...d }));
const done = fc
  .record({ finish, promptTokens: fc.nat(), completionTokens: fc.nat() })
  .map(({ finish: f, promptTokens, completionTokens }): GenerationEvent => ({ type: 'done', finish: f, usage: { promptTokens, completionTokens } }));

/** The general encoder's frames, as text byte for byte. */
function reference(w: ChunkWriter, events: GenerationEvent[], includeUsage: boolean): string[] {
  return generalChatFrames(w, events, includeUsage).map((f) => Buffer.from(f).toString('latin1'));
}

function written(s: ChatChunkStream, events: GenerationEvent[]): string[] {
  const out: string[] = [];
  for (const f of s.start()) out.push(Buffer.from(f).toString('latin1'));
  for (const ev of events) {
    const got = s.write(ev);
    for (const f of got === undefined ? [] : got instanceof Uint8Array ? [got] : got) out.push(Buffer.from(f).toString('latin1'));
  }
  return out;
}

describe('OpenAI chat frames written from bytes', () => {
  it('each frame is the general encoder’s, for any id and model', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(), text, text, fc.option(text, { nil: undefined }), finish, (id, created, model, t, thinking, f) => {
        const w = new ChunkWriter(id, 'chat.completion.chunk', created, model);
        const general = (d: Record<string, unknown>) => Buffer.from(encodeData(w.chat(withThinking(d, thinking))));
        expect(Buffer.from(w.firstFrame(t, thinking)).equals(general({ role: 'assistant', content: t }))).toBe(true);
        expect(Buffer.from(w.contentFrame(t, thinking)).equals(general({ content: t }))).toBe(true);
        expect(Buffer.from(w.finishFrame(f)).equals(Buffer.from(encodeData(w.chat({}, f))))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('a stream of any events is the general encoder’s, frame by frame', () => {
    fc.assert(
      fc.property(fc.array(delta, { maxLength: 8 }), fc.option(done, { nil: undefined }), fc.boolean(), (deltas, end, includeUsage) => {
        const events = end ? [...deltas, end] : deltas;
        const s = new ChatChunkStream('m "q" 🦙', includeUsage);
        const got = written(s, events);
        // The stream's own id and time, read off its first frame, for the reference's writer.
        const head = got[0] ?? '';
        const id = JSON.parse(/^data: \{"id":("[^"]*")/.exec(head)?.[1] ?? '""') as string;
        const created = Number(/"created":(\d+)/.exec(head)?.[1] ?? 0);
        expect(got).toEqual(reference(new ChunkWriter(id, 'chat.completion.chunk', created, 'm "q" 🦙'), events, includeUsage));
      }),
      { numRuns: 1000 },
    );
  });

  it('ids are chatcmpl- and 24 hex digits, a new one per stream', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 600; i++) {
      const first = Buffer.from(new ChatChunkStream('m', false).write({ type: 'delta', text: 'x' }) as Uint8Array).toString();
      const id = /"id":"([^"]+)"/.exec(first)![1]!;
      expect(id).toMatch(/^chatcmpl-[0-9a-f]{24}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(600);
  });
});

function withThinking(d: Record<string, unknown>, thinking: string | undefined): Record<string, unknown> {
  withReasoning(d, thinking);
  return d;
}

describe('Ollama line text', () => {
  const td = new TextDecoder('utf-8', { fatal: false });
  /** Bytes UTF-8 decoders disagree on when written by hand: marks, surrogates, overlongs, cut sequences. */
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 6 }),
    fc.constantFrom(...[[0xef, 0xbb, 0xbf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0x80], [0xe0, 0x80], [0xf0, 0x9f, 0x98], [0x80], [0xff], [0xc3, 0xb1], [0xf0, 0x9f, 0xa6, 0x99], [0xe2, 0x82]].map((b) => Uint8Array.from(b))),
  );
  it('is what a TextDecoder gives for the line alone', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.nat({ max: 4 }), fc.nat({ max: 4 }), (pieces, before, after) => {
        const line = Buffer.concat(pieces);
        const read = Buffer.concat([Buffer.alloc(before, 0x41), line, Buffer.alloc(after, 0x0a)]);
        expect(decodeWhole(read, before, before + line.length)).toBe(td.decode(line));
      }),
      { numRuns: 3000 },
    );
  });
});
