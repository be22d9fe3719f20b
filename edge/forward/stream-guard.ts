/**
 * Relays a streaming origin body chunk by chunk (no buffering, demand-driven) and makes sure the
 * client never sees a silent cut: when the origin stream errors, idles past the limit, or ends
 * without its terminal frame (`data: [DONE]` / `event: error` for SSE, a `done`/`error` line for
 * Ollama NDJSON), one final error frame is appended. Cancelling the relay (client gone) cancels
 * the origin body, which closes the origin connection and frees the GPU slot upstream.
 */
import { errors, type PuertaError } from '../../shared/errors.ts';
import { encodeErrorEvent } from '../../shared/sse.ts';

export type StreamKind = 'sse' | 'ndjson';

export interface GuardOptions {
  kind: StreamKind;
  requestId: string;
  /** Between-bytes limit enforced here (Workers); Fastly's backend enforces its own. */
  idleTimeoutMs?: number | undefined;
}

const TAIL_BYTES = 8192;
const enc = new TextEncoder();

export function streamKindOf(contentType: string | null): StreamKind | null {
  if (!contentType) return null;
  const ct = contentType.toLowerCase();
  if (ct.startsWith('text/event-stream')) return 'sse';
  if (ct.startsWith('application/x-ndjson')) return 'ndjson';
  return null;
}

const isEventLine = (l: string) => l !== '' && !l.startsWith(':');

/**
 * Whether the stream already ends with its terminal frame. Only a complete one counts: an SSE
 * frame ended by its blank line, an NDJSON line ended by its newline. A frame cut off mid-way is
 * not an ending (a client's parser never completes it), so the guard must still add its own.
 */
export function endedCleanly(kind: StreamKind, tail: string): boolean {
  if (kind === 'sse') {
    if (!/\r?\n\r?\n$/.test(tail)) return false;
    // The last frame that carries an event; comment-only frames (keepalives) dispatch nothing.
    const frames = tail.split(/\r?\n\r?\n/).filter((f) => f.split(/\r?\n/).some(isEventLine));
    const last = frames[frames.length - 1];
    return last !== undefined && /(^|\n)(data: ?\[DONE\]|event: ?error)\r?(\n|$)/.test(last);
  }
  if (!tail.endsWith('\n')) return false;
  const lines = tail.split('\n').filter((l) => l.trim() !== '');
  const last = lines[lines.length - 1];
  // A pattern, not JSON.parse: the tail may start mid-line, and only these keys matter.
  return last !== undefined && /"done"\s*:\s*true|"error"\s*:/.test(last);
}

/**
 * What must come before the guard's error frame so that it starts on a frame boundary: a cut-off
 * SSE frame is ended (blank line) and a cut-off NDJSON line ended, or the error frame would be
 * glued onto it and neither would parse.
 */
export function frameBoundary(kind: StreamKind, tail: string): string {
  if (tail === '') return '';
  if (kind === 'ndjson') return tail.endsWith('\n') ? '' : '\n';
  if (/\r?\n\r?\n$/.test(tail)) return '';
  return tail.endsWith('\n') ? '\n' : '\n\n';
}

/** The last TAIL_BYTES of the stream, kept as bytes and decoded once at the end. */
function appendTail(tail: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (chunk.byteLength >= TAIL_BYTES) return chunk.slice(chunk.byteLength - TAIL_BYTES);
  const keep = Math.min(tail.byteLength, TAIL_BYTES - chunk.byteLength);
  const out = new Uint8Array(keep + chunk.byteLength);
  out.set(tail.subarray(tail.byteLength - keep), 0);
  out.set(chunk, keep);
  return out;
}

function errorFrame(kind: StreamKind, err: PuertaError, requestId: string): Uint8Array {
  if (kind === 'sse') return encodeErrorEvent(err, requestId);
  // Ollama's own mid-stream error shape, which the ollama clients raise as an error.
  return enc.encode(JSON.stringify({ error: err.message, request_id: requestId }) + '\n');
}

class IdleTimeout extends Error {}

type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

export function guardStream(source: ReadableStream<Uint8Array>, opts: GuardOptions): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let tail: Uint8Array = new Uint8Array(0);
  let finished = false;

  const read = (): Promise<ReadResult> => {
    const ms = opts.idleTimeoutMs;
    if (!ms) return reader.read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new IdleTimeout()), ms);
    });
    return Promise.race([reader.read(), timeout]).finally(() => clearTimeout(timer));
  };

  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, err: PuertaError) => {
    finished = true;
    const boundary = frameBoundary(opts.kind, new TextDecoder().decode(tail));
    if (boundary) controller.enqueue(enc.encode(boundary));
    controller.enqueue(errorFrame(opts.kind, err, opts.requestId));
    controller.close();
  };

  // Pull-driven: the next origin chunk is read only when the client side has taken the last one
  // (the default queue holds at most one chunk), so a slow client slows the origin, not memory.
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (finished) return;
        let r: ReadResult;
        try {
          r = await read();
        } catch (e) {
          if (e instanceof IdleTimeout) reader.cancel('idle timeout').catch(() => {});
          // The origin already sent its terminal frame ([DONE] or its own event: error / error
          // line) and only the connection failed or idled after it: the stream is complete, and a
          // second terminal frame would be a contract breach (and a spurious error to the client).
          if (endedCleanly(opts.kind, new TextDecoder().decode(tail))) {
            finished = true;
            controller.close();
            return;
          }
          if (e instanceof IdleTimeout) {
            return fail(controller, errors.upstreamTimeout(`the origin sent nothing for ${opts.idleTimeoutMs} ms; stream ended by the edge`));
          }
          return fail(controller, errors.upstreamError('the connection to the origin broke before the stream finished', 502, 'origin_stream_interrupted'));
        }
        if (r.done) {
          if (!endedCleanly(opts.kind, new TextDecoder().decode(tail))) {
            return fail(controller, errors.upstreamError('the origin stream ended before its final frame', 502, 'origin_stream_interrupted'));
          }
          finished = true;
          controller.close();
          return;
        }
        tail = appendTail(tail, r.value);
        controller.enqueue(r.value);
      },
      async cancel(reason) {
        finished = true;
        await reader.cancel(reason).catch(() => {});
      },
    },
  );
}
