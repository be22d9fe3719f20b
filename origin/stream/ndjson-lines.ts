const NEWLINE = 0x0a;

/**
 * Splits a byte stream into complete lines. Lines are only decoded once whole, so a multi-byte
 * UTF-8 character or a JSON object split across TCP reads always comes out intact. A chunk with
 * several whole lines is decoded without copying.
 */
export async function* ndjsonLines(
  body: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  onOversize: (bytes: number) => Error,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let pending: Uint8Array | null = null;
  for await (const chunk of body) {
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      let line: Uint8Array = chunk.subarray(start, nl);
      if (pending) {
        line = concat(pending, line);
        pending = null;
      }
      if (line.length > 0 && !(line.length === 1 && line[0] === 0x0d)) yield decoder.decode(line);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      // Copy: the transport may reuse the chunk's buffer once we return to it.
      pending = pending ? concat(pending, rest) : rest.slice();
      if (pending.length > maxLineBytes) throw onOversize(pending.length);
    }
  }
  if (pending && pending.length > 0) yield decoder.decode(pending);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
