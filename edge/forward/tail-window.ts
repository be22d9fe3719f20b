/**
 * The last bytes of a relayed stream, kept so that the stream guard can tell at the end whether
 * it finished with its terminal frame. A fixed ring written in place: a chunk costs one copy of
 * its bytes (a few hundred for a token event) and no allocation, whatever the stream's length;
 * the bytes are decoded once, when the stream ends. Copied rather than referenced because a
 * chunk handed on to the runtime is no longer ours (a runtime may transfer or reuse its buffer).
 */
export const TAIL_BYTES = 8192;

export class TailWindow {
  private readonly ring: Uint8Array;
  /** Where the next byte goes. */
  private at = 0;
  /** Whether the ring has been filled once (every byte of it is stream data). */
  private full = false;

  constructor(private readonly size = TAIL_BYTES) {
    this.ring = new Uint8Array(size);
  }

  push(chunk: Uint8Array): void {
    const n = chunk.byteLength;
    if (n === 0) return;
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

  /** The kept bytes in stream order, decoded (a cut-off character at the start becomes U+FFFD). */
  text(): string {
    if (!this.full) return new TextDecoder().decode(this.ring.subarray(0, this.at));
    if (this.at === 0) return new TextDecoder().decode(this.ring);
    const ordered = new Uint8Array(this.size);
    ordered.set(this.ring.subarray(this.at), 0);
    ordered.set(this.ring.subarray(0, this.at), this.size - this.at);
    return new TextDecoder().decode(ordered);
  }
}
