import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { BodyConsumer, UpstreamBody } from '../stream/stream-response.ts';
import type { Cancellation } from '../core/cancellation.ts';
import { decodeWhole } from './whole-text.ts';

export interface DispatchedResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: DispatchBody;
}

/**
 * Reads kept for an owner that has not attached its reader yet, before the upstream read pauses:
 * what came with the response headers (one socket read at most, as a rule), since the owner
 * attaches within the same turn. Pausing there instead made every request pay a parser pause
 * (its unread bytes pushed back into the socket) and a resume.
 */
const UNCLAIMED_MAX_BYTES = 64 * 1024;

/** Why a body was let go when its owner gave no reason. */
const letGo = (): Error => new Error('the upstream body was let go before its end');

/** How long the end of a finished answer (the chunked terminator) may take before the connection is dropped. */
const TAIL_GRACE_MS = 1_000;

/**
 * Aborts the request on its controller with no stack trace on the errors made meanwhile. Aborting
 * destroys the connection with undici's own error, and Node reads the stack of an error a socket
 * is destroyed with; under --enable-source-maps (how the origin runs) that stack, which names the
 * origin's frames that let go, was mapped frame by frame for every cancelled stream, and the first
 * one parsed the bundle's whole source map (about 11 MiB, kept for the process's life). Nobody
 * reads those errors: the body has already been let go with its own reason.
 */
function abortUntraced(controller: Dispatcher.DispatchController, reason: unknown): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    controller.abort(reason as Error);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** What the engine has done with the response: still sending, finished, or failed (with why). */
type UpstreamState = { kind: 'open' } | { kind: 'ended' } | { kind: 'failed'; error: unknown };

/**
 * Where the exchange stands for its owner:
 *   opening   before the response headers (the open promise is pending);
 *   reading   the body is the owner's, handed to its consumer;
 *   tail      let go after a complete answer: the terminator is read and dropped, within a grace;
 *   released  let go for good (or aborted before the headers: `abortReason`); nothing more is handed on.
 * Transitions: opening → reading (headers), opening → released (aborted), reading → tail
 * (close(true)), reading | tail → released (destroy, the tail's end, its grace running out).
 */
type OwnerState = { kind: 'opening' } | { kind: 'reading' } | { kind: 'tail'; timer: ReturnType<typeof setTimeout> } | { kind: 'released'; abortReason?: unknown };

const OPEN: UpstreamState = { kind: 'open' };
const ENDED: UpstreamState = { kind: 'ended' };
const READING: OwnerState = { kind: 'reading' };
const RELEASED: OwnerState = { kind: 'released' };

/**
 * Sends a request through undici's dispatch handler API and resolves at the response headers
 * (1xx skipped) with a body fed straight by the handler: no Readable, no event emitter, one
 * consumer call per upstream read. Rejects with undici's own error (HeadersTimeoutError,
 * SocketError, a connect error…) or with the signal's reason.
 *
 * `settled` is called exactly once, when the exchange is over for good: the body ended, failed
 * or was let go, or the request failed before its headers.
 *
 * The signal stays in force for the whole body: aborting it closes the upstream connection at
 * once (the engine stops generating) and fails the body with the signal's reason.
 */
export function dispatchRequest(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: Cancellation, settled: () => void): Promise<DispatchedResponse> {
  return new Promise<DispatchedResponse>((resolve, reject) => {
    const body = new DispatchBody(signal, settled, resolve, reject);
    if (signal.aborted) {
      body.handleEvent();
      return;
    }
    signal.addEventListener('abort', body);
    try {
      dispatcher.dispatch(options, body);
    } catch (err) {
      body.onResponseError(undefined, err as Error);
    }
  });
}

/**
 * One upstream response body, owned by whoever opened the request. The handler feeds it; it
 * holds no more than a bound it can leave in the socket: until a consumer is attached it keeps
 * the reads that came (up to UNCLAIMED_MAX_BYTES, then the upstream read pauses), and while the
 * consumer has it paused the upstream read is paused, so undici stops parsing and TCP pushes back.
 *
 * Ways to let go, exactly one of which the owner must take: read it whole (json/text/arrayBuffer,
 * or consume() to the end), close(true) after a complete answer (the terminator is read so the
 * pooled connection is reused), or destroy()/close(false) (the connection is closed, which stops
 * the engine's generation).
 */
export class DispatchBody implements UpstreamBody, Dispatcher.DispatchHandler {
  private upstream: UpstreamState = OPEN;
  private owner: OwnerState = { kind: 'opening' };
  private controller: Dispatcher.DispatchController | undefined;
  // The reader's flow: who reads, whether it asked for a pause, reads kept meanwhile, whether it has had its end.
  private consumer: BodyConsumer | null = null;
  /** The consumer asked for no more reads for now. */
  private paused = false;
  /**
   * Reads that came after a pause asked from outside a read (undici delivers the one it is
   * parsing): handed over on resume. Null nearly always.
   */
  private held: Uint8Array[] | null = null;
  /** Bytes kept before any consumer was attached; past UNCLAIMED_MAX_BYTES the upstream read pauses. */
  private unclaimed = 0;
  /** The consumer has had its end() or error(). */
  private told = false;
  /** The open promise, until the headers or the failure settle it. */
  private opening: { resolve: (r: DispatchedResponse) => void; reject: (err: unknown) => void } | null;
  /** The abort signal and the owner's `settled`, until the exchange is over for good. */
  private settling: { signal: Cancellation; settled: () => void } | null;

  constructor(signal: Cancellation, settled: () => void, resolve: (r: DispatchedResponse) => void, reject: (err: unknown) => void) {
    this.settling = { signal, settled };
    this.opening = { resolve, reject };
  }

  /** The upstream has nothing more to give (ended or failed); bytes may still be held. */
  get complete(): boolean {
    return this.upstream.kind !== 'open';
  }

  /** The owner let go (tail or released): nothing more is handed to anyone. */
  private get released(): boolean {
    return this.owner.kind === 'tail' || this.owner.kind === 'released';
  }

  private get failure(): unknown {
    return this.upstream.kind === 'failed' ? this.upstream.error : undefined;
  }

  /**
   * Attaches the reader and starts the flow; null detaches it (the read pauses). A failure that
   * came before a consumer was there is handed to it now.
   */
  consume(consumer: BodyConsumer | null): void {
    if (consumer !== null && this.released) {
      consumer.error(this.failure ?? new Error('the upstream body was already let go'));
      return;
    }
    this.consumer = consumer;
    this.told = false;
    if (consumer === null) {
      if (this.upstream.kind === 'open') this.controller?.pause();
      return;
    }
    if (this.upstream.kind === 'failed') {
      this.tellError(this.upstream.error);
      return;
    }
    this.flow();
  }

  pause(): void {
    this.paused = true;
    if (this.upstream.kind === 'open') this.controller?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.flow();
  }

  /**
   * Lets go of the body once the stream is over. After a complete answer (Ollama's done line,
   * `[DONE]`) only the terminator is left: it is read, so the pooled connection is reused
   * instead of a new one made for the next request; if it does not come within a second the
   * connection is dropped. After anything else the request is aborted, which closes the
   * connection and stops the engine's generation.
   */
  close(answered: boolean): void {
    if (this.released) return;
    if (!answered || this.upstream.kind !== 'open') {
      this.destroy();
      return;
    }
    // reading → tail. A plain timer cleared when the tail is in: one per answer, and none left behind.
    this.owner = { kind: 'tail', timer: setTimeout(dropTail, TAIL_GRACE_MS, this) };
    this.consumer = null;
    this.held = null;
    this.paused = false;
    this.controller?.resume();
  }

  /**
   * Aborts the request (closing its connection) unless the upstream already finished. A
   * consumer still attached gets the error (the reason, or an abort error).
   */
  destroy(reason?: unknown): void {
    if (!this.endTail() && this.released) return;
    this.owner = RELEASED;
    this.held = null;
    // Made only for someone to be told it: after an answer whose upstream had already ended (the
    // usual short stream) nobody is, and an Error's stack trace per answer would be wasted work.
    let err = reason;
    if (this.upstream.kind === 'open') {
      err ??= letGo();
      this.upstream = { kind: 'failed', error: err };
      // Synchronously calls onResponseError, which finds the body released.
      if (this.controller) abortUntraced(this.controller, err);
    }
    this.settle();
    if (this.consumer !== null && !this.told) this.tellError(err ?? letGo());
    this.consumer = null;
  }

  /** The whole body as bytes (a copy the caller owns). */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const chunks = await this.collect();
    const out = new Uint8Array(chunks.length);
    out.set(chunks);
    return out.buffer;
  }

  /** The whole body as UTF-8 text (a leading byte-order mark dropped, as undici's text() does). */
  async text(): Promise<string> {
    return decodeWhole(await this.collect());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  private collect(): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => this.consume(new Collector(resolve, reject)));
  }

  /** Hands over held reads, then the end, or lets undici read on; stops as soon as the consumer pauses or leaves. */
  private flow(): void {
    while (this.held !== null && this.consumer !== null && !this.paused) {
      const chunk = this.held.shift()!;
      if (this.held.length === 0) this.held = null;
      this.consumer.data(chunk);
    }
    if (this.consumer === null || this.paused || this.held !== null) return;
    if (this.upstream.kind === 'ended') this.tellEnd();
    else if (this.upstream.kind === 'open') this.controller?.resume();
  }

  private tellEnd(): void {
    if (this.told) return;
    this.told = true;
    this.consumer!.end();
  }

  private tellError(err: unknown): void {
    if (this.told) return;
    this.told = true;
    this.held = null;
    this.consumer!.error(err);
  }

  /** tail → released: stops the grace timer of a body let go after its answer; true when one was running. */
  private endTail(): boolean {
    if (this.owner.kind !== 'tail') return false;
    clearTimeout(this.owner.timer);
    this.owner = RELEASED;
    return true;
  }

  private settle(): void {
    const settling = this.settling;
    if (settling === null) return;
    this.settling = null;
    settling.signal.removeEventListener('abort', this);
    settling.settled();
  }

  /** The dispatch was aborted by its signal: before the headers the open fails, after them the body does. */
  handleEvent(): void {
    const reason = this.settling?.signal.reason as unknown;
    if (this.owner.kind === 'reading' || this.owner.kind === 'tail') {
      this.destroy(reason);
      return;
    }
    if (this.owner.kind === 'released') return;
    // opening → released.
    this.owner = { kind: 'released', abortReason: reason };
    this.upstream = { kind: 'failed', error: reason };
    // Not yet sent (queued in the pool): onRequestStart aborts it when it gets a connection.
    if (this.controller) abortUntraced(this.controller, reason);
    this.settle();
    this.rejectOpen(reason);
  }

  private rejectOpen(err: unknown): void {
    const opening = this.opening;
    this.opening = null;
    opening?.reject(err);
  }

  // ---- undici's dispatch handler ----

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.owner.kind === 'released' && this.owner.abortReason !== undefined) abortUntraced(controller, this.owner.abortReason);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    this.controller = controller;
    if (this.released) {
      abortUntraced(controller, this.failure);
      return;
    }
    // The parsed headers are all we read; undici's raw ones (Buffers viewing the socket read they
    // came in) would stay with the controller as long as the stream is open (~1 KiB each).
    controller.rawHeaders = null;
    // opening → reading. Reads until the owner attaches its reader are kept (onResponseData).
    this.owner = READING;
    const opening = this.opening!;
    this.opening = null;
    opening.resolve({ statusCode, headers, body: this });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const consumer = this.consumer;
    if (consumer !== null && !this.paused && this.held === null) {
      consumer.data(chunk);
      return;
    }
    // Let go after a complete answer: the terminator is dropped.
    if (this.released) return;
    (this.held ??= []).push(chunk);
    // No reader yet: kept for it, up to a bound. A pause asked between reads: this one is kept,
    // and undici reads nothing more until resume.
    if (consumer === null && (this.unclaimed += chunk.byteLength) <= UNCLAIMED_MAX_BYTES) return;
    controller.pause();
  }

  onResponseEnd(): void {
    this.upstream = ENDED;
    this.endTail();
    this.settle();
    if (this.consumer !== null && !this.paused && this.held === null) this.tellEnd();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.endTail();
    if (this.upstream.kind === 'open') this.upstream = { kind: 'failed', error: err };
    this.settle();
    if (this.owner.kind === 'opening') {
      this.rejectOpen(err);
      return;
    }
    // A failure is told at once, paused or not (the held reads are lost, as a reset loses them).
    if (!this.released && this.consumer !== null) this.tellError(err);
  }
}

function dropTail(body: DispatchBody): void {
  body.destroy(new Error('the upstream did not end its answer within the grace period'));
}

/** Gathers a whole body for json()/text()/arrayBuffer(). */
class Collector implements BodyConsumer {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  constructor(
    private readonly done: (b: Buffer) => void,
    private readonly failed: (err: unknown) => void,
  ) {}
  data(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
  }
  end(): void {
    this.done(Buffer.concat(this.chunks, this.size));
  }
  error(err: unknown): void {
    this.failed(err);
  }
}
