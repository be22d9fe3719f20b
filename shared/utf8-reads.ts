/**
 * UTF-8 text of a stream that arrives read by read: the same text a per-stream
 * `new TextDecoder('utf-8', { ignoreBOM })` gives with `decode(read, { stream: true })`, without
 * making that decoder for the usual stream. A decoder's converter is made on its first decode
 * and is costly (it was most of a short stream's decoding time), so reads that end on a whole
 * character are decoded by one of two decoders made once; only a stream with a read that ends
 * inside a character gets its own streaming decoder, from that read on.
 */

/** Decodes a whole read and drops a byte-order mark at its start: a stream's first text. */
const FIRST = new TextDecoder('utf-8');
/** Decodes a whole read and keeps a byte-order mark as text: any later read of a stream. */
const LATER = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Whether `bytes` may end inside a character, that is with a lead byte that its continuation
 * bytes do not yet complete. A yes is always safe (the streaming decoder takes over); a no must
 * be certain: the last character is ASCII, complete, or not a character a decoder would wait for.
 */
export function mayEndInsideCharacter(bytes: Uint8Array): boolean {
  const n = bytes.length;
  // The last character's lead byte is at most 3 continuation bytes (10xxxxxx) back.
  for (let k = 1; k <= 4 && k <= n; k++) {
    const b = bytes[n - k]!;
    if (b < 0x80) return false;
    if (b >= 0xc0) return k < (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2);
  }
  return false;
}

export class Utf8Reads {
  private own: TextDecoder | undefined;
  /**
   * @param begun the stream's text has already begun (its first reads went elsewhere as bytes),
   * so a byte-order mark is text from the first read on, as for `ignoreBOM: true`.
   */
  constructor(private begun = false) {}

  /** The text of the next read; a character cut at its end comes out with the next read. */
  decode(bytes: Uint8Array): string {
    if (this.own === undefined) {
      // A decoder that has seen nothing still drops a mark from its first bytes: an empty read changes nothing.
      if (bytes.length === 0) return '';
      if (!mayEndInsideCharacter(bytes)) {
        const text = (this.begun ? LATER : FIRST).decode(bytes);
        this.begun = true;
        return text;
      }
      this.own = new TextDecoder('utf-8', { ignoreBOM: this.begun });
    }
    return this.own.decode(bytes, { stream: true });
  }
}
