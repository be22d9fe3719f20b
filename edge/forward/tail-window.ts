/**
 * The end of a relayed stream, kept so that the stream guard can tell at the end whether it
 * finished with its terminal frame: the last TAIL_BYTES in a fixed ring written in place, and
 * the start of the last complete frame (LastFrameHead) for a terminal frame longer than the ring.
 * A chunk costs one copy of its bytes (a few hundred for a token event) into each and no
 * allocation, whatever the stream's length; the bytes are decoded once, when the stream ends.
 * Copied rather than referenced because a chunk handed on to the runtime is no longer ours (a
 * runtime may transfer or reuse its buffer).
 */
import type { StreamWire } from '../../shared/dialects/errors.ts';
import { LastFrameHead } from './last-frame-head.ts';

export const TAIL_BYTES = 8192;
const LF = 0x0a;
const CR = 0x0d;

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
