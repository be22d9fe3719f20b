/**
 * Relays a streaming origin body chunk by chunk (no buffering, demand-driven) and makes sure the
 * client never sees a silent cut: when the origin stream errors, idles past the limit, or ends
 * without its terminal frame (`data: [DONE]` / `event: error` for SSE, a `done`/`error` line for
 * Ollama NDJSON), one final error frame is appended. Cancelling the relay (client gone) cancels
 * the origin body, which closes the origin connection and frees the GPU slot upstream.
 */
import { ERROR_SHAPES, type ErrorDialect } from '../../shared/dialects/errors.ts';
import { errors, type PuertaError } from '../../shared/errors.ts';

export type StreamKind = 'sse' | 'ndjson';

export interface GuardOptions {
  kind: StreamKind;
  /** The route's dialect: what its terminal frame looks like, and its error frame. */
  dialect: ErrorDialect;
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

/**
 * Whether the stream already ends with its dialect's terminal frame (OpenAI's `[DONE]`, an
 * Ollama `done` line, either's error frame…). Only a complete one counts: a frame cut off mid-way
 * is not an ending (a client's parser never completes it), so the guard must still add its own.
 */
export function endedCleanly(dialect: ErrorDialect, tail: string): boolean {
  return ERROR_SHAPES[dialect].endedCleanly(tail);
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
    controller.enqueue(ERROR_SHAPES[opts.dialect].streamError(err, opts.requestId));
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
          if (endedCleanly(opts.dialect, new TextDecoder().decode(tail))) {
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
          if (!endedCleanly(opts.dialect, new TextDecoder().decode(tail))) {
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
