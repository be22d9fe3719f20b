/**
 * The frames one upstream read produced, sent as one write: a token's chunk and the frames that
 * close a block, or several engine chunks that arrived together, cost one syscall and one HTTP
 * chunk. A read that produced one frame sends that frame itself, without a copy.
 */
export class FrameBatch {
  private single: Uint8Array | null = null;
  private readonly many: Uint8Array[] = [];
  private bytes = 0;

  add(frame: Uint8Array): void {
    if (frame.byteLength === 0) return;
    this.bytes += frame.byteLength;
    if (this.single === null && this.many.length === 0) {
      this.single = frame;
      return;
    }
    if (this.single !== null) {
      this.many.push(this.single);
      this.single = null;
    }
    this.many.push(frame);
  }

  /** What was added since the last take, as one frame; null when nothing was. */
  take(): Uint8Array | null {
    const single = this.single;
    if (single !== null) {
      this.single = null;
      this.bytes = 0;
      return single;
    }
    const many = this.many;
    if (many.length === 0) return null;
    // From Buffer's pool, as the frames are: a buffer of its own per write costs an allocation
    // outside the heap, and this one lives only as long as its write.
    const out = Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (let i = 0; i < many.length; i++) {
      out.set(many[i]!, at);
      at += many[i]!.byteLength;
    }
    many.length = 0;
    this.bytes = 0;
    return out;
  }
}
