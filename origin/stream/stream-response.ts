import { PuertaError, toPuertaError } from '../../shared/errors.ts';
import type { QueueStanding } from '../core/admission.ts';
import type { Framing } from './framing.ts';
import { FrameBatch } from './frame-batch.ts';
import type { OpenSink } from './sink.ts';

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

/** Queues one frame of the upstream read being handled; the read's frames go out as one write. */
export type Emit = (frame: Uint8Array) => void;

/**
 * Turns an upstream body's bytes into frames, synchronously, one read at a time. Methods throw
 * a PuertaError for an upstream that broke (a line that is not JSON, an error event).
 */
export interface ChunkRelay {
  /** One read of the body; true once the answer is complete (the rest of the body is not read). */
  chunk(bytes: Uint8Array): boolean;
  /** The body ended before chunk() said complete: the last frames, or throw (truncated). */
  end(): void;
  /** The body failed (reset, idle timeout): the typed error; may emit frames first (end a cut line). */
  fail(err: unknown): PuertaError;
}

/** One read of the body per data() call, then end() or error(), once. */
export interface BodyConsumer {
  data(chunk: Uint8Array): void;
  end(): void;
  error(err: unknown): void;
}

/**
 * What the relay needs of an upstream body: a push source with flow control
 * (origin/upstream/dispatch-body.ts is the one the origin uses). consume() may hand over bytes
 * already received before it returns; pause() stops the reads until resume().
 */
export interface UpstreamBody {
  consume(consumer: BodyConsumer): void;
  pause(): void;
  resume(): void;
}

/** An opened upstream's body and what turns it into frames. */
export interface UpstreamRelay {
  body: UpstreamBody;
  relay: ChunkRelay;
}

export interface StreamPlan<T> {
  requestId: string;
  framing: Framing;
  keepaliveMs: number;
  /** Where the request stands while it waits for a slot (undefined once it is out of the queue). */
  queueStanding?(): QueueStanding | undefined;
  /**
   * Longest wait for a client that reads nothing while its buffer is full; then the stream ends
   * as `client_stalled` (upstream aborted, connection dropped; onEnd frees the slot).
   */
  writeStallMs: number;
  /** Aborted when the client goes away; the upstream request is aborted with it. */
  clientSignal: AbortSignal;
  /** Aborted when a shutdown's grace period is over: the stream ends with `shutdownError()`. */
  shutdownSignal?: AbortSignal;
  shutdownError?(): PuertaError;
  /** Where frames go; the server adapter's choice (origin/stream/sink.ts). */
  openSink: OpenSink;
  /** Everything up to the upstream's response headers: admission, routing, the request itself. */
  open(signal: AbortSignal): Promise<T>;
  /**
   * The opened upstream's body and its translation. Frames emitted here (Anthropic's
   * message_start…) go out before any upstream byte; `emit` is the stream's one emitter.
   */
  relay(opened: T, emit: Emit, signal: AbortSignal): UpstreamRelay;
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
 * The upstream body hands over each read with one call; each is translated synchronously and its
 * frames sent with one sink write; a full client buffer pauses the body until the sink drains.
 * Letting go of the body (reading its tail or aborting it) is the owner's, in onEnd.
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
  let body: UpstreamBody | undefined;
  let relay: ChunkRelay | undefined;
  /** The client's buffer is full: the body is paused until the sink drains. */
  let full = false;
  // One timer per stream, made on the first full buffer and re-armed with refresh(): no allocation per wait.
  let stallTimer: ReturnType<typeof setTimeout> | undefined;

  const sink = plan.openSink({ drain: onDrain, gone: onClientGone });
  const batch = new FrameBatch();

  /** The stream's one emitter: content frames of the current read wait in the batch. */
  const emit: Emit = (frame) => {
    if (ended) return;
    if (firstContent) {
      firstContent = false;
      plan.onFirstByte?.();
    }
    plan.onFrame?.(frame);
    batch.add(frame);
  };

  /** Sends what the current read produced as one write; pauses the body when the client is full. */
  const flush = (): void => {
    const out = batch.take();
    if (out === null || ended) return;
    bytesOut += out.byteLength;
    lastWriteAt = Date.now();
    if (sink.write(out) || full) return;
    full = true;
    body?.pause();
    // The client's buffer is full: wait for it to read, but not for ever.
    if (stallTimer) stallTimer.refresh();
    else stallTimer = setTimeout(onStalled, plan.writeStallMs);
  };

  function onDrain(): void {
    if (!full || ended) return;
    // The stall timer is left to run (a cleared timer cannot be refresh()ed): each wait re-arms
    // it from its own start, and it does nothing when it finds the buffer no longer full.
    full = false;
    body?.resume();
  }

  const stopTimer = () => {
    if (keepaliveTimer) clearTimeout(keepaliveTimer);
    keepaliveTimer = undefined;
  };

  // One timer per keepalive interval, not per chunk: it re-arms for whatever silence remains.
  const armKeepalive = (delay: number) => {
    if ((!framing.keepalive && !framing.queued) || ended) return;
    keepaliveTimer = setTimeout(onKeepaliveTimer, delay);
  };
  const onKeepaliveTimer = () => {
    keepaliveTimer = undefined;
    if (ended) return;
    const silentFor = Date.now() - lastWriteAt;
    if (silentFor >= keepaliveMs) {
      const standing = framing.queued ? plan.queueStanding?.() : undefined;
      const frame = standing ? framing.queued!(standing) : framing.keepalive;
      if (frame) {
        commit();
        // Not a content frame: it neither counts as the first byte nor waits for a full buffer.
        sink.write(frame);
        bytesOut += frame.byteLength;
        lastWriteAt = Date.now();
        plan.onKeepalive?.();
      }
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
    resolveResponse(sink.open(200, { ...framing.headers, 'x-request-id': requestId }));
  };

  const finish = (result: StreamResult) => {
    if (ended) return;
    ended = true;
    stopTimer();
    if (stallTimer) clearTimeout(stallTimer);
    plan.clientSignal.removeEventListener('abort', onClientGone);
    plan.shutdownSignal?.removeEventListener('abort', onShutdown);
    // A failed exchange may still have its open() in flight (queued, connecting): cancel it, so
    // it leaves the admission queue and the upstream request is not sent or is aborted.
    if (result.outcome === 'error' && !upstreamAbort.signal.aborted) upstreamAbort.abort(result.error);
    if (result.outcome === 'error' && result.committed && !(result.error as { [ALREADY_FRAMED]?: true })[ALREADY_FRAMED]) {
      const frame = framing.error(result.error, requestId);
      bytesOut += frame.byteLength;
      sink.write(frame);
    }
    // A stalled client's unread bytes would keep the connection (and their memory) open for good.
    if (result.outcome === 'client_stalled') sink.abort();
    else if (result.outcome !== 'client_cancelled' || committed) sink.end();
    plan.onEnd(result, bytesOut);
  };

  /** A failure of the exchange, before or after the status was committed. */
  const fail = (err: unknown) => {
    if (ended) return;
    const e = toPuertaError(err);
    const wasCommitted = committed;
    // Frames the failing read produced before the failure (a cut line ended) go first.
    flush();
    finish({ outcome: 'error', error: e, committed: wasCommitted });
    if (!wasCommitted) rejectResponse(e);
  };

  function onClientGone() {
    if (ended) return;
    upstreamAbort.abort(new Error('client disconnected'));
    batch.take();
    finish({ outcome: 'client_cancelled' });
    if (!committed) rejectResponse(new PuertaError({ status: 499, type: 'api_error', code: 'client_closed_request', message: 'client closed the request', retryable: false }));
  }

  function onShutdown() {
    if (plan.shutdownError) fail(plan.shutdownError());
  }

  /** The client read nothing for writeStallMs with its buffer full: it holds a slot it does not use. */
  function onStalled() {
    if (ended || !full) return;
    upstreamAbort.abort(new Error('client stalled'));
    finish({ outcome: 'client_stalled' });
  }

  function onData(chunk: Uint8Array) {
    if (ended) return;
    let complete: boolean;
    try {
      complete = relay!.chunk(chunk);
    } catch (err) {
      fail(err);
      return;
    }
    flush();
    if (complete) finish({ outcome: 'ok' });
  }

  function onBodyEnd() {
    if (ended) return;
    try {
      relay!.end();
    } catch (err) {
      fail(err);
      return;
    }
    flush();
    finish({ outcome: 'ok' });
  }

  function onBodyError(err: unknown) {
    if (ended) return;
    if (upstreamAbort.signal.aborted) return;
    fail(relay!.fail(err));
  }

  if (plan.clientSignal.aborted) {
    onClientGone();
    return response;
  }
  plan.clientSignal.addEventListener('abort', onClientGone, { once: true });
  if (plan.shutdownSignal?.aborted) {
    onShutdown();
    return response;
  }
  plan.shutdownSignal?.addEventListener('abort', onShutdown, { once: true });
  armKeepalive(keepaliveMs);

  plan.open(upstreamAbort.signal).then(
    (opened) => {
      if (ended) return;
      commit();
      let source: UpstreamRelay;
      try {
        source = plan.relay(opened, emit, upstreamAbort.signal);
      } catch (err) {
        fail(err);
        return;
      }
      flush();
      if (ended) return;
      body = source.body;
      relay = source.relay;
      if (full) body.pause();
      body.consume({ data: onData, end: onBodyEnd, error: onBodyError });
    },
    (err: unknown) => fail(err),
  );

  return response;
}
