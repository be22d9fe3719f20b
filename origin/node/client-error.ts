/**
 * The answer to a request Node's HTTP parser refused before the app saw it (Node's `clientError`).
 *
 * Headers past the server's maxHeaderSize (16 KiB by default) get a 431 in the client's dialect,
 * and the connection is closed the way nginx and Apache close after an error ("lingering close"):
 * the answer goes out with a FIN and the rest of the head the client is still sending is read and
 * dropped, for at most LINGER_MS, before the socket is destroyed. Node's own default writes its
 * 431 and destroys the socket at once; with the rest of a 64 KiB–1 MiB head still unread in the
 * kernel, that close is a TCP reset, and a client still sending (curl) reports the reset, not the
 * answer.
 *
 * Every other parse failure gets Node's own default, unchanged: 408 for a request that took too
 * long to arrive, 413 for chunk extensions past their limit, 400 for anything else, then the
 * socket destroyed; nothing is written once a response on that connection has started.
 */
import { maxHeaderSize, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ERROR_SHAPES } from '../../shared/dialects/errors.ts';
import { PuertaError } from '../../shared/errors.ts';
import { requestIdFrom } from '../../shared/headers.ts';
import { errorDialectFor } from '../../shared/routes.ts';

/** How long a refused connection is read (and what it sends dropped) after the answer, at most. */
export const LINGER_MS = 5_000;

/** Node's own answers for the other parse failures (lib/_http_server.js), byte for byte. */
const NODE_DEFAULT: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/** The request line at the start of the refused bytes, when they start with one: its path names the dialect. */
const REQUEST_LINE = /^[A-Z]{3,16} (\/[^ ?#]*)[^ ]* HTTP\/1\.[01]\r?\n/;

export function headersTooLarge(limitBytes: number): PuertaError {
  return new PuertaError({
    status: 431,
    type: 'request_too_large',
    code: 'request_header_fields_too_large',
    message: `request headers exceed the limit of ${limitBytes} bytes (all header lines together, Authorization included); send smaller headers`,
    retryable: false,
    headers: { connection: 'close' },
  });
}

/** The whole 431 response as bytes: status line, headers, the error body in the dialect of the refused path. */
export function headersTooLargeResponse(rawPacket: Buffer | undefined, limitBytes: number): { bytes: string; requestId: string } {
  const path = rawPacket ? REQUEST_LINE.exec(rawPacket.subarray(0, 8192).toString('latin1'))?.[1] : undefined;
  const requestId = requestIdFrom(undefined);
  const body = JSON.stringify(ERROR_SHAPES[errorDialectFor(path ?? '/v1/')].body(headersTooLarge(limitBytes), requestId));
  const head = [
    'HTTP/1.1 431 Request Header Fields Too Large',
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    'connection: close',
  ];
  return { bytes: `${head.join('\r\n')}\r\n\r\n${body}`, requestId };
}

/**
 * The response a connection is writing now, found as Node's own clientError default finds it
 * (lib/_http_server.js reads the same field): set when a response takes the socket, cleared when
 * it finishes. Not a map of our own, filled on each 'request': that held every connection's last
 * response, with the whole stream's state behind it, until the connection's next request (about
 * 7 KiB per idle keep-alive connection), and under load it kept each request's objects alive
 * through young collections into the old space.
 */
function inFlight(socket: Duplex): ServerResponse | undefined {
  return (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
}

export function answerRefusedRequests(server: Server, log: Logger): void {
  const limit = maxHeaderSize;
  /** Connections answered and being read to their end: the parser reports each later chunk again. */
  const lingering = new WeakSet<Duplex>();

  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (lingering.has(socket)) return;
    const res = inFlight(socket);
    const responding = res !== undefined && res.headersSent && !res.writableFinished;
    if (err.code === 'ECONNRESET' || !socket.writable || responding) {
      socket.destroy();
      return;
    }
    if (err.code !== 'HPE_HEADER_OVERFLOW') {
      socket.write(NODE_DEFAULT[err.code ?? ''] ?? BAD_REQUEST);
      socket.destroy();
      return;
    }
    const { bytes, requestId } = headersTooLargeResponse(err.rawPacket, limit);
    log.warn({ request_id: requestId, status: 431, limit_bytes: limit }, 'request refused before routing: headers too large');
    lingering.add(socket);
    socket.end(bytes);
    const stop = setTimeout(() => socket.destroy(), LINGER_MS);
    stop.unref();
    socket.once('close', () => clearTimeout(stop));
  });
}
