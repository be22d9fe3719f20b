/**
 * Ollama's per-token line read without parsing the whole object: nearly every line of a stream
 * is one token, written by Go's encoder in one fixed form (api/types.go field order, no spaces):
 *
 *   {"model":M,"created_at":T,"message":{"role":"assistant","content":C[,"thinking":K]},"done":false}
 *   {"model":M,"created_at":T,"response":C[,"thinking":K],"done":false}
 *
 * A line in exactly that form gives its text and thinking here, decoding only those two strings
 * (one with escapes through JSON.parse of that string alone, which checks them as the whole
 * line's parse would). Any other line (another field, a space, CRLF, an escape in the model or
 * time, a control character, the done line) is left to JSON.parse: this reads nothing the full
 * parse would read differently, and refuses what it would refuse.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const MODEL = bytes('{"model":');
const CREATED = bytes(',"created_at":');
const MESSAGE = bytes(',"message":{"role":"assistant","content":');
const RESPONSE = bytes(',"response":');
const THINKING = bytes(',"thinking":');
const MESSAGE_END = bytes('}');
const DONE_FALSE = bytes(',"done":false}');

/** What a token line says: the two fields the decoder reads off a parsed token line. */
export interface TokenFields {
  text: string;
  thinking?: string | undefined;
}

/**
 * The text and thinking of the line `buf[start, end)` into `out`, when it is a token line in the
 * fixed form (true); `out` is untouched otherwise. Nothing is allocated but the strings.
 */
export function readTokenLine(buf: Buffer, start: number, end: number, out: TokenFields): boolean {
  let at = literal(buf, start, end, MODEL);
  at = skipString(buf, at, end);
  at = literal(buf, at, end, CREATED);
  at = skipString(buf, at, end);
  if (at < 0) return false;
  const chat = literal(buf, at, end, MESSAGE);
  at = chat >= 0 ? chat : literal(buf, at, end, RESPONSE);
  at = string(buf, at, end);
  if (at < 0) return false;
  const text = value;
  let thinking: string | undefined;
  const think = literal(buf, at, end, THINKING);
  if (think >= 0) {
    at = string(buf, think, end);
    thinking = value;
  }
  if (chat >= 0) at = literal(buf, at, end, MESSAGE_END);
  at = literal(buf, at, end, DONE_FALSE);
  if (at !== end) return false;
  out.text = text;
  out.thinking = thinking;
  return true;
}

// Each reader takes the position to read at and gives the one after what it read, or -1 (and
// -1 in gives -1 out, so a chain of reads is checked once at its end).

function literal(buf: Buffer, at: number, end: number, want: Uint8Array): number {
  if (at < 0 || at + want.length > end) return -1;
  for (let k = 0; k < want.length; k++) if (buf[at + k] !== want[k]) return -1;
  return at + want.length;
}

/** A string whose value is not needed: no escapes (their checking is JSON.parse's), no control characters. */
function skipString(buf: Buffer, at: number, end: number): number {
  if (at < 0 || buf[at] !== QUOTE) return -1;
  for (let i = at + 1; i < end; i++) {
    const c = buf[i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

/** The last string() read (a module slot, so that reading one allocates nothing but the string). */
let value = '';

/** A string's value into `value`, as decoding the whole line as UTF-8 and parsing it would give it. */
function string(buf: Buffer, at: number, end: number): number {
  if (at < 0 || buf[at] !== QUOTE) return -1;
  let escaped = false;
  let ascii = true;
  for (let i = at + 1; i < end; i++) {
    const c = buf[i]!;
    if (c === QUOTE) {
      if (!escaped) value = buf.toString(ascii ? 'latin1' : 'utf8', at + 1, i);
      else if (!parseString(buf.toString('utf8', at, i + 1))) return -1;
      return i + 1;
    }
    if (c === BACKSLASH) {
      escaped = true;
      i++;
    } else if (c < 0x20) return -1;
    else if (c >= 0x80) ascii = false;
  }
  return -1;
}

function parseString(literal: string): boolean {
  try {
    value = JSON.parse(literal) as string;
    return true;
  } catch {
    return false;
  }
}
