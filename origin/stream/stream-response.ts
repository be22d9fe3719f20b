import { PuertaError, toPuertaError } from '../../shared/errors.ts';
import type { Framing } from './framing.ts';

const ALREADY_FRAMED = Symbol('puerta.alreadyFramed');

/**
 * Marks a failure the relay has already passed to the client in the stream's own format (an
 * Ollama `{"error":…}` line relayed as is): it ends and is recorded as an error, with no second
 * error frame.
 */
export function alreadyFramed(err: PuertaError): PuertaError {
  (err as PuertaError & { [ALREADY_FRAMED]?: true })[ALREADY_FRAMED] = true;
  return err;
}

export type StreamResult = { outcome: 'ok' } | { outcome: 'error'; error: PuertaError; committed: boolean } | { outcome: 'client_cancelled' } | { outcome: 'client_stalled' };

export type Emit = (frame: Uint8Array) => void | Promise<void>;

export interface StreamPlan<T> {
  requestId: string;
  framing: Framing;
  keepaliveMs: number;
  /**
   * Longest wait for a client that reads nothing while its buffer is full; then the stream ends
   * as `client_stalled` (upstream aborted; onEnd frees the slot and drops the connection).
   */
  writeStallMs: number;
  /** Aborted when the client goes away; the upstream request is aborted with it. */
  clientSignal: AbortSignal;
  /** Everything up to the upstream's response headers: admission, routing, the request itself. */
  open(signal: AbortSignal): Promise<T>;
  /** Turns the opened upstream response into frames; resolves when the stream finished well. */
  relay(opened: T, emit: Emit, signal: AbortSignal): Promise<void>;
  /** First frame of content (not a keepalive) went to the client. */
  onFirstByte?(): void;
  /** Every content frame, the first included (inter-token latency); must not allocate. */
  onFrame?(frame: Uint8Array): void;
  onKeepalive?(): void;
  /** Exactly once: ok, the error that ended it, or the client's cancellation. */
  onEnd(result: StreamResult, bytesOut: number): void;
}

/**
 * Runs a streamed exchange. The HTTP status is committed as late as possible: when the upstream
 * answers, or when the first keepalive is due (the request is queued or the model is loading).
 * Before that, failures are real HTTP errors; after it, they end the stream with the framing's
 * error frame. A stream never stops without its terminator or an error frame.
 *
 * Resolves to the Response to send, or rejects with a PuertaError for an uncommitted failure.
 */
export function runStream<T>(plan: StreamPlan<T>): Promise<Response> {
  const { framing, keepaliveMs, requestId } = plan;
  const upstreamAbort = new AbortController();
  let ended = false;
  let committed = false;
  let bytesOut = 0;
  let lastWriteAt = Date.now();
  let firstContent = true;
  let keepaliveTimer: ReturnType<typeof setTimeout> | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let resumeWriter: (() => void) | null = null;
  // One timer per stream, made on the first full buffer and re-armed with refresh(): no allocation per wait.
  let stallTimer: ReturnType<typeof setTimeout> | undefined;

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        const r = resumeWriter;
        resumeWriter = null;
        // The stall timer is left to run (a cleared timer cannot be refresh()ed): each wait
        // re-arms it from its own start, and it does nothing when it finds no writer waiting.
        r?.();
      },
      cancel() {
        onClientGone();
      },
    },
    // Byte-counted so a slow reader holds back at most ~64 KiB before the upstream is paused.
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );

  const enqueue = (frame: Uint8Array): void => {
    controller.enqueue(frame);
    bytesOut += frame.byteLength;
    lastWriteAt = Date.now();
  };

  const write = (frame: Uint8Array): void | Promise<void> => {
    if (ended) return;
    enqueue(frame);
    if ((controller.desiredSize ?? 1) > 0) return;
    // The client's buffer is full: wait for it to read, but not for ever.
    if (stallTimer) stallTimer.refresh();
    else stallTimer = setTimeout(onStalled, plan.writeStallMs);
    return new Promise<void>((r) => (resumeWriter = r));
  };

  const emit: Emit = (frame) => {
    if (firstContent) {
      firstContent = false;
      plan.onFirstByte?.();
    }
    plan.onFrame?.(frame);
    return write(frame);
  };

  const stopTimer = () => {
    if (keepaliveTimer) clearTimeout(keepaliveTimer);
    keepaliveTimer = undefined;
  };

  // One timer per keepalive interval, not per chunk: it re-arms for whatever silence remains.
  const armKeepalive = (delay: number) => {
    if (!framing.keepalive || ended) return;
    keepaliveTimer = setTimeout(onKeepaliveTimer, delay);
  };
  const onKeepaliveTimer = () => {
    keepaliveTimer = undefined;
    if (ended) return;
    const silentFor = Date.now() - lastWriteAt;
    if (silentFor >= keepaliveMs) {
      commit();
      // Never waits: the relay may already be waiting for the reader, and only one can be resumed.
      enqueue(framing.keepalive!);
      plan.onKeepalive?.();
      armKeepalive(keepaliveMs);
    } else {
      armKeepalive(keepaliveMs - silentFor);
    }
  };

  let resolveResponse!: (r: Response) => void;
  let rejectResponse!: (e: PuertaError) => void;
  const response = new Promise<Response>((res, rej) => {
    resolveResponse = res;
    rejectResponse = rej;
  });

  const commit = () => {
    if (committed) return;
    committed = true;
    resolveResponse(new Response(stream, { status: 200, headers: { ...framing.headers, 'x-request-id': requestId } }));
  };

  const finish = (result: StreamResult) => {
    if (ended) return;
    ended = true;
    stopTimer();
    if (stallTimer) clearTimeout(stallTimer);
    plan.clientSignal.removeEventListener('abort', onClientGone);
    // A failed exchange may still have its open() in flight (queued, connecting): cancel it, so
    // it leaves the admission queue and the upstream request is not sent or is aborted.
    if (result.outcome === 'error' && !upstreamAbort.signal.aborted) upstreamAbort.abort(result.error);
    if (result.outcome === 'error' && result.committed && !(result.error as { [ALREADY_FRAMED]?: true })[ALREADY_FRAMED]) {
      try {
        controller.enqueue(framing.error(result.error, requestId));
      } catch {
        // Client already gone: nothing left to tell it.
      }
    }
    // A stalled client's connection is dropped by the caller (onEnd): closing here only ends the body.
    if (result.outcome !== 'client_cancelled' || committed) {
      try {
        controller.close();
      } catch {
        // Already cancelled by the reader.
      }
    }
    plan.onEnd(result, bytesOut);
  };

  function onClientGone() {
    if (ended) return;
    upstreamAbort.abort(new Error('client disconnected'));
    const r = resumeWriter;
    resumeWriter = null;
    r?.();
    finish({ outcome: 'client_cancelled' });
    if (!committed) rejectResponse(new PuertaError({ status: 499, type: 'api_error', code: 'client_closed_request', message: 'client closed the request', retryable: false }));
  }

  /** The client read nothing for writeStallMs with its buffer full: it holds a slot it does not use. */
  function onStalled() {
    if (ended || resumeWriter === null) return;
    upstreamAbort.abort(new Error('client stalled'));
    const r = resumeWriter;
    resumeWriter = null;
    r();
    finish({ outcome: 'client_stalled' });
  }

  if (plan.clientSignal.aborted) {
    onClientGone();
    return response;
  }
  plan.clientSignal.addEventListener('abort', onClientGone, { once: true });
  armKeepalive(keepaliveMs);

  void (async () => {
    let opened: T;
    try {
      opened = await plan.open(upstreamAbort.signal);
    } catch (err) {
      if (ended) return;
      const e = toPuertaError(err);
      if (!committed) {
        finish({ outcome: 'error', error: e, committed: false });
        rejectResponse(e);
      } else {
        finish({ outcome: 'error', error: e, committed: true });
      }
      return;
    }
    if (ended) return;
    commit();
    try {
      await plan.relay(opened, emit, upstreamAbort.signal);
      finish({ outcome: 'ok' });
    } catch (err) {
      if (ended) return;
      finish({ outcome: 'error', error: toPuertaError(err), committed: true });
    }
  })();

  return response;
}
