/** An OpenAI-compatible engine's SSE stream, read synchronously, failing typed for every way it breaks. */
import { isUtf8 } from 'node:buffer';
import { createSseDecoder, type EventSourceMessage } from '../../../../shared/sse.ts';
import { Utf8Reads } from '../../../../shared/utf8-reads.ts';
import type { PuertaError } from '../../../../shared/errors.ts';
import { upstreamFailures } from '../../errors.ts';

export interface WireToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}
interface WireMessage {
  content?: string | null;
  reasoning?: string | null;
  reasoning_content?: string | null;
  tool_calls?: WireToolCall[];
}
export interface WireChoice {
  delta?: WireMessage;
  message?: WireMessage;
  text?: string;
  finish_reason?: string | null;
}
export interface WireChunk {
  choices?: WireChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null;
  /** llama.cpp's own timings, on its last chunk. */
  timings?: { prompt_n?: number; prompt_ms?: number; predicted_n?: number; predicted_ms?: number; cache_n?: number } | null;
  error?: { message?: string } | string;
}

/** An event's data as a chunk; data that is not JSON is a broken upstream. */
export function parseChunk(data: string, upstream: string): WireChunk {
  try {
    return JSON.parse(data) as WireChunk;
  } catch {
    throw upstreamFailures.malformed(upstream, data.slice(0, 80));
  }
}

/** The engine's error, from an `event: error` or a chunk carrying `error`. */
export function chunkError(upstream: string, data: string, chunk: WireChunk): PuertaError {
  const e = chunk.error;
  return upstreamFailures.midStream(upstream, typeof e === 'string' ? e : (e?.message ?? data.slice(0, 200)));
}

/**
 * Splits the body into events' data, one read at a time, up to the engine's `[DONE]` (later
 * events are ignored). An `event: error` is thrown typed; what the data says is the caller's.
 * No `[DONE]` means the stream broke: the caller fails it as truncated, never a quiet end.
 */
export class OpenAiSseReader {
  /**
   * Made on the first push(). A stream whose first reads were relayed as they came has begun, so
   * its decoder keeps a byte-order mark as text, as one fed those reads would (a decoder drops
   * one only from its first bytes); a stream relayed whole never makes one.
   */
  private text: Utf8Reads | undefined;
  private readonly parser = createSseDecoder({ onEvent: (ev) => this.event(ev) });
  private done = false;
  /** The last read ended a frame (a blank line), so neither the decoder nor the parser holds anything. */
  private atBoundary = true;
  /**
   * The decoder and the parser have had bytes. Each drops a byte-order mark only from its first
   * bytes, so a stream whose first reads were relayed as they came must not look fresh to them.
   */
  private fed = false;
  private onData: (data: string) => void = () => {};

  constructor(private readonly upstream: string) {}

  /** Gives each event's data of this read to `onData`; true once `[DONE]` was read. */
  push(bytes: Uint8Array, onData: (data: string) => void): boolean {
    this.onData = onData;
    this.text ??= new Utf8Reads(this.fed);
    this.fed = true;
    const n = bytes.length;
    this.atBoundary = n >= 2 && bytes[n - 1] === LF && bytes[n - 2] === LF;
    this.parser.feed(this.text.decode(bytes));
    return this.done;
  }

  /**
   * Whether this read, at a frame boundary, is nothing but plain data frames (`plainDataFrames`):
   * push() would give each frame's data unchanged and leave the reader at a boundary again, so
   * the read may be relayed as it is, without a push.
   */
  passes(bytes: Uint8Array): boolean {
    if (!this.atBoundary || !plainDataFrames(bytes)) return false;
    if (!this.fed) {
      // A blank line, which gives no event, in place of the frames: the stream has begun for
      // both (the decoder, made later, keeps a byte-order mark).
      this.fed = true;
      this.parser.feed('\n');
    }
    return true;
  }

  private event(ev: EventSourceMessage): void {
    if (this.done) return;
    if (ev.data === '[DONE]') {
      this.done = true;
      return;
    }
    if (ev.event === 'error') throw chunkError(this.upstream, ev.data, parseChunk(ev.data, this.upstream));
    this.onData(ev.data);
  }
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
/** `data: {` */
const DATA_OPEN = [0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0x7b];
/** `usage"` and `error"`, after a quote. */
const USAGE = [0x75, 0x73, 0x61, 0x67, 0x65, QUOTE];
const ERROR = [0x65, 0x72, 0x72, 0x6f, 0x72, QUOTE];

function bytesAt(bytes: Uint8Array, at: number, want: readonly number[]): boolean {
  for (let k = 0; k < want.length; k++) if (bytes[at + k] !== want[k]) return false;
  return true;
}

/**
 * Whether `bytes` is whole frames of the one form an engine writes per token, `data: {…}` and a
 * blank line, each data one line without CR, the whole valid UTF-8, and none naming `"usage"` or
 * `"error"` (the relay reads those). Decoded and split, such a read gives each frame's data as
 * the bytes between `data: ` and its newline, so the relay's `data: ` + data + blank line is the
 * frame itself: the read can be relayed as it came. Anything else (a comment, `event:`, CRLF, a
 * frame cut by the read, `[DONE]`) is for the reader. Nothing allocated: native searches for
 * newlines and CR, one pass over each frame for its quotes, one UTF-8 check of the read.
 */
export function plainDataFrames(bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (n === 0 || bytes.indexOf(CR) !== -1) return false;
  let i = 0;
  while (i < n) {
    if (!bytesAt(bytes, i, DATA_OPEN)) return false;
    const nl = bytes.indexOf(LF, i + DATA_OPEN.length);
    if (nl === -1 || bytes[nl - 1] !== 0x7d || bytes[nl + 1] !== LF) return false;
    for (let j = i + DATA_OPEN.length; j < nl; j++) {
      if (bytes[j] !== QUOTE) continue;
      const next = bytes[j + 1];
      if ((next === USAGE[0] && bytesAt(bytes, j + 1, USAGE)) || (next === ERROR[0] && bytesAt(bytes, j + 1, ERROR))) return false;
    }
    i = nl + 2;
  }
  return isUtf8(bytes);
}
