import type { Socket } from 'node:net';

/** Frames at most this long are copied into one framed buffer; longer ones go out as three corked writes instead of a copy. */
const COPY_AT_MOST = 4096;
const CRLF = Buffer.from('\r\n', 'latin1');
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * Writes one HTTP/1.1 chunk (size line, bytes, CRLF) straight to the connection as one buffer:
 * one socket write per relayed frame, where ServerResponse.write pays a cork, a deferred
 * uncork and three queued writes for each. Only for a response whose head has gone out with
 * chunked framing. Returns what socket.write returns (false: wait for the socket's 'drain').
 */
export function writeChunk(socket: Socket, frame: Uint8Array): boolean {
  const n = frame.byteLength;
  // A zero-length chunk is the body's terminator: never write one for an empty frame.
  if (n === 0) return true;
  if (n > COPY_AT_MOST) {
    socket.cork();
    socket.write(`${n.toString(16)}\r\n`, 'latin1');
    socket.write(frame);
    const ok = socket.write(CRLF);
    socket.uncork();
    return ok;
  }
  let head = 1;
  for (let v = n >>> 4; v > 0; v >>>= 4) head++;
  // From the pool for small sizes: no string, no separate allocation for the size line.
  const buf = Buffer.allocUnsafe(head + n + 4);
  for (let i = head - 1, v = n; i >= 0; i--, v >>>= 4) buf[i] = HEX[v & 15]!;
  buf[head] = 13;
  buf[head + 1] = 10;
  buf.set(frame, head + 2);
  buf[head + 2 + n] = 13;
  buf[head + 3 + n] = 10;
  return socket.write(buf);
}
