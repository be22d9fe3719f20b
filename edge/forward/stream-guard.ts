/**
 * Relays a streaming origin body chunk by chunk (no buffering, demand-driven) and makes sure the
 * client never sees a silent cut: when the origin stream errors, idles past the limit, or ends
 * without its terminal frame (`data: [DONE]` / `event: error` for SSE, a `done`/`error` line for
 * Ollama NDJSON), one final error frame is appended. Cancelling the relay (client gone) cancels
 * the origin body, which closes the origin connection and frees the GPU slot upstream.
 */
import { ERROR_SHAPES, type ErrorDialect, type StreamWire } from '../../shared/dialects/errors.ts';
import { errors, type PuertaError } from '../../shared/errors.ts';
import { IdleWatch } from './idle-watch.ts';
import { TailWindow } from '../../shared/stream-tail.ts';

export type StreamKind = StreamWire;

export interface GuardOptions {
  kind: StreamKind;
  /** The route's dialect: what its terminal frame looks like, and its error frame. */
  dialect: ErrorDialect;
  requestId: string;
  /** Between-bytes limit enforced here (Workers); Fastly's backend enforces its own. */
  idleTimeoutMs?: number | undefined;
  /** A stream that is no model stream says its own terminal frame (shared/job-events.ts); else the dialect's. */
  endedCleanly?: ((tail: string) => boolean) | undefined;
}

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

type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

/**
 * Per relayed chunk: one read of the origin body, its bytes copied in place into the tail window
 * (the last 8 KiB and the start of the last frame), one enqueue. Nothing is allocated for a token
 * event, the tail is decoded only when the stream ends, and the idle limit is one timer per
 * stream (IdleWatch), not one per read.
 */
export function guardStream(source: ReadableStream<Uint8Array>, opts: GuardOptions): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const tail = new TailWindow(opts.kind);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let finished = false;

  const close = () => {
    finished = true;
    idle?.stop();
    controller.close();
  };

  /** Ends the stream: as it is when it already ended with its terminal frame, else with an error frame. */
  const end = (err: () => PuertaError) => {
    const text = tail.text();
    // The origin already sent its terminal frame ([DONE] or its own event: error / error line)
    // and only the connection ended, failed or idled after it: the stream is complete, and a
    // second terminal frame would be a contract breach (and a spurious error to the client).
    if (opts.endedCleanly ? opts.endedCleanly(text) : endedCleanly(opts.dialect, text)) return close();
    const boundary = frameBoundary(opts.kind, text);
    if (boundary) controller.enqueue(enc.encode(boundary));
    controller.enqueue(ERROR_SHAPES[opts.dialect].streamError(err(), opts.requestId, text));
    close();
  };

  const idle = opts.idleTimeoutMs
    ? new IdleWatch(opts.idleTimeoutMs, () => {
        if (finished) return;
        // The pending read settles as done once cancelled; `finished` makes it a no-op.
        reader.cancel('idle timeout').catch(() => {});
        end(() => errors.upstreamTimeout(`the origin sent nothing for ${opts.idleTimeoutMs} ms; stream ended by the edge`));
      })
    : undefined;

  const onRead = (r: ReadResult): void => {
    idle?.settled();
    if (finished) return;
    if (r.done) return end(() => errors.upstreamError('the origin stream ended before its final frame', 502, 'origin_stream_interrupted'));
    tail.push(r.value);
    controller.enqueue(r.value);
  };
  const onReadError = (): void => {
    idle?.settled();
    if (finished) return;
    end(() => errors.upstreamError('the connection to the origin broke before the stream finished', 502, 'origin_stream_interrupted'));
  };

  // Pull-driven: the next origin chunk is read only when the client side has taken the last one
  // (the default queue holds at most one chunk), so a slow client slows the origin, not memory.
  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    pull() {
      if (finished) return;
      idle?.waiting();
      return reader.read().then(onRead, onReadError);
    },
    cancel(reason) {
      finished = true;
      idle?.stop();
      return reader.cancel(reason).catch(() => {});
    },
  });
}
