import { PuertaError, toPuertaError } from '../../shared/errors.ts';
import type { QueueStanding } from '../core/admission.ts';
import type { Framing } from './framing.ts';
import { FrameBatch } from './frame-batch.ts';
import type { OpenSink, StreamSink } from './sink.ts';
import { unwatchAbort, watchAbort } from '../core/abort-watch.ts';
import { Cancel, type Cancellation } from '../core/cancellation.ts';

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
  /**
   * Aborted when the client goes away; the upstream request is aborted with it. Not needed where
   * the sink itself reports the client gone from the start (SinkEvents.gone: the Node adapter's
   * connection close), only where it learns so late (a WHATWG body, once it is read).
   */
  clientSignal?: AbortSignal | undefined;
  /** Aborted when a shutdown's grace period is over: the stream ends with `shutdownError()`. */
  shutdownSignal?: AbortSignal;
  shutdownError?(): PuertaError;
  /** Where frames go; the server adapter's choice (origin/stream/sink.ts). */
  openSink: OpenSink;
  /** Everything up to the upstream's response headers: admission, routing, the request itself. */
  open(signal: Cancellation): Promise<T>;
  /**
   * The opened upstream's body and its translation. Frames emitted here (Anthropic's
   * message_start…) go out before any upstream byte; `emit` is the stream's one emitter.
   */
  relay(opened: T, emit: Emit, signal: Cancellation): UpstreamRelay;
  /** First frame of content (not a keepalive) went to the client. */
  onFirstByte?(): void;
  /** Every content frame, the first included (inter-token latency); must not allocate. */
  onFrame?(frame: Uint8Array): void;
  onKeepalive?(): void;
  /** Exactly once: ok, the error that ended it, or the client's cancellation. */
  onEnd(result: StreamResult, bytesOut: number): void;
}

/**
 * Where a stream is. `opening`: admission, routing and the upstream request, up to its response
 * headers (keepalives may already have committed the status). `relaying`: the upstream body is
 * read, each read translated and written. `ended`: onEnd has been called, once; every later event
 * is ignored.
 */
type Phase<T> = { name: 'opening' } | { name: 'relaying'; opened: T; body: UpstreamBody; relay: ChunkRelay } | { name: 'ended' };

/**
 * The client's side, orthogonal to the phase. `status`: `pending` until the 200 and headers are
 * sent (the upstream answered, or the first keepalive was due), `sent` after: from then on a
 * failure is an error frame, not an HTTP error. `flow`: `full` while the client's buffer is full
 * and the upstream body is paused until the sink drains.
 */
type Status = 'pending' | 'sent';
type Flow = 'open' | 'full';

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
  return new StreamRun(plan).start();
}

// The stream's timers call these with the stream as their argument: no closure per stream or wait.
function keepaliveDue<T>(run: StreamRun<T>): void {
  run.onKeepaliveTimer();
}
function stalled<T>(run: StreamRun<T>): void {
  run.onStalled();
}

/** One stream's run; it is its upstream body's consumer itself: no closure per body event. */
class StreamRun<T> implements BodyConsumer {
  private phase: Phase<T> = { name: 'opening' };
  private status: Status = 'pending';
  private flow: Flow = 'open';
  /** The upstream request's cancellation (open()'s and relay()'s), made by the stream and cancelled only by it. */
  private readonly upstreamAbort = new Cancel();
  private readonly sink: StreamSink;
  private readonly batch = new FrameBatch();
  private bytesOut = 0;
  private lastWriteAt = Date.now();
  private firstContent = true;
  private keepaliveTimer: ReturnType<typeof setTimeout> | undefined;
  // One timer per stream, made on the first full buffer and re-armed with refresh(): no allocation per wait.
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  private resolveResponse!: (r: Response) => void;
  private rejectResponse!: (e: PuertaError) => void;
  private readonly response = new Promise<Response>((res, rej) => {
    this.resolveResponse = res;
    this.rejectResponse = rej;
  });

  constructor(private readonly plan: StreamPlan<T>) {
    this.sink = plan.openSink({ drain: this.onDrain, gone: this.onClientGone });
  }

  start(): Promise<Response> {
    const { plan } = this;
    if (plan.clientSignal?.aborted) {
      this.onClientGone();
      return this.response;
    }
    plan.clientSignal?.addEventListener('abort', this.onClientGone, { once: true });
    if (plan.shutdownSignal?.aborted) {
      this.onShutdown();
      return this.response;
    }
    if (plan.shutdownSignal) watchAbort(plan.shutdownSignal, this.onShutdown);
    this.armKeepalive(plan.keepaliveMs);
    plan.open(this.upstreamAbort).then(this.onOpened, this.fail);
    return this.response;
  }

  // ── transitions ──

  /** opening → relaying: the upstream answered; the status is sent and its body read. */
  private readonly onOpened = (opened: T): void => {
    if (this.phase.name !== 'opening') return;
    this.commit();
    let source: UpstreamRelay;
    try {
      source = this.plan.relay(opened, this.emit, this.upstreamAbort);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.flush();
    if (this.phase.name !== 'opening') return;
    this.phase = { name: 'relaying', opened, body: source.body, relay: source.relay };
    if (this.flow === 'full') source.body.pause();
    source.body.consume(this);
  };

  /**
   * relaying → ended, whole: the frames of the read that completed the answer leave with the end
   * of the body, in one write where the sink can (StreamSink.endWith).
   */
  private finishWhole(): void {
    const last = this.batch.take();
    if (last === null) return this.finish({ outcome: 'ok' });
    this.bytesOut += last.byteLength;
    this.lastWriteAt = Date.now();
    this.finish({ outcome: 'ok' }, last);
  }

  /** any → ended, once: timers and listeners go, the last frame is written, onEnd is told. */
  private finish(result: StreamResult, last?: Uint8Array): void {
    if (this.phase.name === 'ended') return;
    this.phase = { name: 'ended' };
    const { plan, sink } = this;
    this.stopKeepalive();
    if (this.stallTimer) clearTimeout(this.stallTimer);
    plan.clientSignal?.removeEventListener('abort', this.onClientGone);
    if (plan.shutdownSignal) unwatchAbort(plan.shutdownSignal, this.onShutdown);
    // A failed exchange may still have its open() in flight (queued, connecting): cancel it, so
    // it leaves the admission queue and the upstream request is not sent or is aborted.
    if (result.outcome === 'error' && !this.upstreamAbort.aborted) this.upstreamAbort.cancel(result.error);
    if (result.outcome === 'error' && result.committed && !(result.error as { [ALREADY_FRAMED]?: true })[ALREADY_FRAMED]) {
      const frame = plan.framing.error(result.error, plan.requestId);
      this.bytesOut += frame.byteLength;
      sink.write(frame);
    }
    // A stalled client's unread bytes would keep the connection (and their memory) open for good.
    if (result.outcome === 'client_stalled') sink.abort();
    else if (last !== undefined) sink.endWith(last);
    else if (result.outcome !== 'client_cancelled' || this.status === 'sent') sink.end();
    plan.onEnd(result, this.bytesOut);
  }

  /** pending → sent: the 200 and the framing's headers. */
  private commit(): void {
    if (this.status === 'sent') return;
    this.status = 'sent';
    this.resolveResponse(this.sink.open(200, { ...this.plan.framing.headers, 'x-request-id': this.plan.requestId }));
  }

  /** open → full: the client's buffer is full; the body waits for it to read, but not for ever. */
  private full(): void {
    this.flow = 'full';
    if (this.phase.name === 'relaying') this.phase.body.pause();
    if (this.stallTimer) this.stallTimer.refresh();
    else this.stallTimer = setTimeout(stalled, this.plan.writeStallMs, this);
  }

  /** full → open: the client read; the body goes on. */
  private readonly onDrain = (): void => {
    if (this.flow !== 'full' || this.phase.name === 'ended') return;
    // The stall timer is left to run (a cleared timer cannot be refresh()ed): each wait re-arms
    // it from its own start, and it does nothing when it finds the buffer no longer full.
    this.flow = 'open';
    if (this.phase.name === 'relaying') this.phase.body.resume();
  };

  // ── events ──

  /** The stream's one emitter: content frames of the current read wait in the batch. */
  private readonly emit: Emit = (frame) => {
    if (this.phase.name === 'ended') return;
    if (this.firstContent) {
      this.firstContent = false;
      this.plan.onFirstByte?.();
    }
    this.plan.onFrame?.(frame);
    this.batch.add(frame);
  };

  /** Sends what the current read produced as one write; a full client buffer pauses the body. */
  private flush(): void {
    const out = this.batch.take();
    if (out === null || this.phase.name === 'ended') return;
    this.bytesOut += out.byteLength;
    this.lastWriteAt = Date.now();
    if (this.sink.write(out) || this.flow === 'full') return;
    this.full();
  }

  // ── the upstream body (BodyConsumer) ──

  data(chunk: Uint8Array): void {
    if (this.phase.name !== 'relaying') return;
    let complete: boolean;
    try {
      complete = this.phase.relay.chunk(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (complete) this.finishWhole();
    else this.flush();
  }

  end(): void {
    if (this.phase.name !== 'relaying') return;
    try {
      this.phase.relay.end();
    } catch (err) {
      this.fail(err);
      return;
    }
    this.finishWhole();
  }

  error(err: unknown): void {
    if (this.phase.name !== 'relaying' || this.upstreamAbort.aborted) return;
    this.fail(this.phase.relay.fail(err));
  }

  /** A failure of the exchange, before or after the status was sent. */
  private readonly fail = (err: unknown): void => {
    if (this.phase.name === 'ended') return;
    const e = toPuertaError(err);
    const wasCommitted = this.status === 'sent';
    // Frames the failing read produced before the failure (a cut line ended) go first.
    this.flush();
    this.finish({ outcome: 'error', error: e, committed: wasCommitted });
    if (!wasCommitted) this.rejectResponse(e);
  };

  private readonly onClientGone = (): void => {
    if (this.phase.name === 'ended') return;
    this.upstreamAbort.cancel(new Error('client disconnected'));
    this.batch.take();
    this.finish({ outcome: 'client_cancelled' });
    if (this.status === 'pending') this.rejectResponse(new PuertaError({ status: 499, type: 'api_error', code: 'client_closed_request', message: 'client closed the request', retryable: false }));
  };

  private readonly onShutdown = (): void => {
    if (this.plan.shutdownError) this.fail(this.plan.shutdownError());
  };

  /** The client read nothing for writeStallMs with its buffer full: it holds a slot it does not use (the stall timer's). */
  onStalled(): void {
    if (this.phase.name === 'ended' || this.flow !== 'full') return;
    this.upstreamAbort.cancel(new Error('client stalled'));
    this.finish({ outcome: 'client_stalled' });
  }

  // ── keepalives: one timer per interval, not per chunk; it re-arms for whatever silence remains ──

  private armKeepalive(delay: number): void {
    const { framing } = this.plan;
    if ((!framing.keepalive && !framing.queued) || this.phase.name === 'ended') return;
    this.keepaliveTimer = setTimeout(keepaliveDue, delay, this);
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  /** The keepalive timer's: a frame when the stream has been silent for keepaliveMs. */
  onKeepaliveTimer(): void {
    this.keepaliveTimer = undefined;
    if (this.phase.name === 'ended') return;
    const { plan } = this;
    const { framing, keepaliveMs } = plan;
    const silentFor = Date.now() - this.lastWriteAt;
    if (silentFor < keepaliveMs) return this.armKeepalive(keepaliveMs - silentFor);
    const standing = framing.queued ? plan.queueStanding?.() : undefined;
    const frame = standing ? framing.queued!(standing) : framing.keepalive;
    if (frame) {
      this.commit();
      // Not a content frame: it neither counts as the first byte nor waits for a full buffer.
      this.sink.write(frame);
      this.bytesOut += frame.byteLength;
      this.lastWriteAt = Date.now();
      plan.onKeepalive?.();
    }
    this.armKeepalive(keepaliveMs);
  }
}
