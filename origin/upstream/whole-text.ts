/**
 * Bytes that are a whole text on their own (an engine's body, one of its NDJSON lines), as a
 * TextDecoder's decode() of them gives them: bad bytes replaced the same way, a byte-order mark at
 * the start dropped; read straight from the Buffer, without a view of the range or a decoder.
 */
export function decodeWhole(bytes: Buffer, start = 0, end = bytes.length): string {
  if (end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
  return bytes.toString('utf8', start, end);
}
