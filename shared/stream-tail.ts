/**
 * The end of a relayed stream, kept to tell when it ends whether it finished with its terminal
 * frame: by the edge's stream guard (edge/forward/stream-guard.ts) and by the origin relaying an
 * Ollama stream as is (origin/dialects/upstream/ollama/passthrough.ts). Two parts, each one fixed
 * buffer per stream and no allocation per chunk: the stream's last bytes (TailWindow) and the
 * start of its last complete frame (LastFrameHead), for a terminal frame longer than the window.
 */
import type { StreamWire } from './dialects/errors.ts';

/**
 * LastFrameHead: the first bytes of the stream's last complete frame (SSE: up to a blank line, comment-only
 * frames skipped; NDJSON: a non-blank line). A terminal frame can be far longer than the tail
 * window: Responses' `response.completed` carries the whole answer, Ollama's final
 * /api/generate line a `context` of every token. What names it (`event: response.completed`,
 * `"done":true`) is at its start, so that start is kept here and put in front of the tail when
 * the window no longer holds it. A chunk that is whole frames (a token event, what the origin
 * writes) costs a look at its first and last bytes and one copy; any other is walked from newline
 * to newline (indexOf) and its frame's start copied. Two fixed buffers per stream, nothing
 * allocated per token event.
 */

export const HEAD_BYTES = 512;
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;

export class LastFrameHead {
  /** The frame being read. */
  private cand = new Uint8Array(HEAD_BYTES);
  private candLen = 0;
  private candStart = 0;
  private candCounts = false;
  private inFrame = false;
  /** The last complete frame that counts (its first bytes and where it started in the stream). */
  private done = new Uint8Array(HEAD_BYTES);
  private doneLen = 0;
  private doneStart = -1;
  /** Bytes of the current line so far, and its first byte. */
  private lineLen = 0;
  private lineFirst = -1;
  private offset = 0;

  constructor(private readonly wire: StreamWire) {}

  push(chunk: Uint8Array): void {
    const n = chunk.byteLength;
    if (this.wholeFrames(chunk, n)) {
      // A token event: starts where the last frame ended and ends a frame itself. Kept whole, so
      // every frame in it keeps its place, without walking its lines.
      this.done.set(chunk);
      this.doneLen = n;
      this.doneStart = this.offset;
      this.offset += n;
      return;
    }
    // Where, in this chunk, the frame being read has its bytes from (-1: outside any frame).
    let from = this.inFrame ? 0 : -1;
    let pos = 0;
    while (pos < n) {
      const nl = chunk.indexOf(LF, pos);
      const end = nl === -1 ? n : nl;
      if (end > pos) {
        if (this.lineLen === 0 && this.lineStarts(chunk[pos]!, pos)) from = pos;
        this.lineLen += end - pos;
      }
      if (nl === -1) break;
      if (this.lineEnds()) {
        this.copy(chunk, from, nl + 1);
        this.frameEnds();
        from = -1;
      }
      pos = nl + 1;
    }
    if (from >= 0) this.copy(chunk, from, n);
    this.offset += n;
  }

  /** Where the last complete frame that counts began in the stream (-1: none yet). */
  get start(): number {
    return this.doneStart;
  }

  /** Its first `max` bytes (at most HEAD_BYTES). */
  bytes(max: number): Uint8Array {
    return this.done.subarray(0, Math.min(this.doneLen, max));
  }

  /**
   * Whether the chunk is small, starts on a frame boundary with a line that counts, and ends on
   * one: what the origin writes per token. A look at four bytes; no line walk.
   */
  private wholeFrames(chunk: Uint8Array, n: number): boolean {
    if (n < 3 || n > HEAD_BYTES || this.inFrame || this.lineLen !== 0) return false;
    const first = chunk[0]!;
    if (first === LF || first === CR || (this.wire === 'sse' && first === COLON) || chunk[n - 1] !== LF) return false;
    if (this.wire === 'ndjson') return true;
    const b = chunk[n - 2]!;
    return b === LF || (b === CR && chunk[n - 3] === LF);
  }

  /** Whether this line starts a frame. */
  private lineStarts(first: number, pos: number): boolean {
    this.lineFirst = first;
    // A CR first is (nearly always) a CRLF blank line: it starts no frame.
    if (this.inFrame || first === CR) return false;
    this.inFrame = true;
    this.candLen = 0;
    this.candStart = this.offset + pos;
    this.candCounts = false;
    return true;
  }

  /** Whether the frame being read ends with this line. */
  private lineEnds(): boolean {
    const blank = this.lineLen === 0 || (this.lineLen === 1 && this.lineFirst === CR);
    const first = this.lineFirst;
    this.lineLen = 0;
    this.lineFirst = -1;
    if (!this.inFrame) return false;
    if (!blank && (this.wire === 'ndjson' || first !== COLON)) this.candCounts = true;
    // NDJSON: every non-blank line is a frame. SSE: a blank line ends one.
    return this.wire === 'ndjson' ? !blank : blank;
  }

  private frameEnds(): void {
    this.inFrame = false;
    if (!this.candCounts) return;
    const kept = this.done;
    this.done = this.cand;
    this.cand = kept;
    this.doneLen = this.candLen;
    this.doneStart = this.candStart;
  }

  /** Keeps the frame's first HEAD_BYTES: a token event is copied whole, in one call, without a view. */
  private copy(chunk: Uint8Array, from: number, to: number): void {
    const k = Math.min(to - from, HEAD_BYTES - this.candLen);
    if (k <= 0) return;
    this.cand.set(from === 0 && k === chunk.byteLength ? chunk : chunk.subarray(from, from + k), this.candLen);
    this.candLen += k;
  }
}

/**
 * TailWindow: the end of a relayed stream: the last TAIL_BYTES in a fixed ring written in place, and
 * the start of the last complete frame (LastFrameHead) for a terminal frame longer than the ring.
 * A chunk costs one copy of its bytes (a few hundred for a token event) into each and no
 * allocation, whatever the stream's length; the bytes are decoded once, when the stream ends.
 * Copied rather than referenced because a chunk handed on to the runtime is no longer ours (a
 * runtime may transfer or reuse its buffer).
 */

export const TAIL_BYTES = 8192;

export class TailWindow {
  private readonly ring: Uint8Array;
  private readonly head: LastFrameHead;
  /** Where the next byte goes. */
  private at = 0;
  /** Whether the ring has been filled once (every byte of it is stream data). */
  private full = false;
  private total = 0;

  constructor(
    wire: StreamWire,
    private readonly size = TAIL_BYTES,
  ) {
    this.ring = new Uint8Array(size);
    this.head = new LastFrameHead(wire);
  }

  push(chunk: Uint8Array): void {
    const n = chunk.byteLength;
    if (n === 0) return;
    this.total += n;
    this.head.push(chunk);
    if (n >= this.size) {
      // Only the chunk's last `size` bytes can matter.
      this.ring.set(n === this.size ? chunk : chunk.subarray(n - this.size));
      this.at = 0;
      this.full = true;
      return;
    }
    const room = this.size - this.at;
    if (n < room) {
      this.ring.set(chunk, this.at);
      this.at += n;
      return;
    }
    // Wraps (at most once per `size` bytes of stream).
    this.ring.set(chunk.subarray(0, room), this.at);
    this.ring.set(chunk.subarray(room), 0);
    this.at = n - room;
    this.full = true;
  }

  /**
   * The stream's end as text: the kept bytes in order, with the start of the last complete frame
   * in front when that frame began before them (bytes between the two are left out, so a
   * character cut there becomes U+FFFD, as one cut at the window's start).
   */
  text(): string {
    const tail = this.ordered();
    const windowStart = this.total - tail.byteLength;
    const start = this.head.start;
    if (start < 0 || start >= windowStart) return new TextDecoder().decode(tail);
    const head = this.head.bytes(windowStart - start);
    let from = 0;
    // A gap between the two: line breaks at the window's start belong to a line left out, and
    // after a head that ends a line they would read as the blank line that ends a frame.
    if (head.byteLength < windowStart - start) while (from < tail.byteLength && (tail[from] === LF || tail[from] === CR)) from++;
    const joined = new Uint8Array(head.byteLength + tail.byteLength - from);
    joined.set(head, 0);
    joined.set(tail.subarray(from), head.byteLength);
    return new TextDecoder().decode(joined);
  }

  private ordered(): Uint8Array {
    if (!this.full) return this.ring.subarray(0, this.at);
    if (this.at === 0) return this.ring;
    const out = new Uint8Array(this.size);
    out.set(this.ring.subarray(this.at), 0);
    out.set(this.ring.subarray(0, this.at), this.size - this.at);
    return out;
  }
}
