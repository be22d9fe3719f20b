import type { Context } from 'hono';
import { PuertaError } from '../../shared/errors.ts';
import type { Framing } from '../stream/framing.ts';
import { runStream, type ChunkRelay, type Emit, type StreamPlan, type StreamResult, type UpstreamRelay } from '../stream/stream-response.ts';
import type { OpenSink } from '../stream/sink.ts';
import { openWebSink } from '../stream/web-sink.ts';
import type { OriginEnv } from '../core/env.ts';
import type { QueueProbe, QueueStanding } from '../core/admission.ts';
import type { OriginConfig } from '../config/schema.ts';
import type { Observers, RequestRecord } from '../core/record.ts';
import { openUpstream, type OpenedUpstream, type OpenOptions, type UpstreamOpening } from './open-upstream.ts';
import type { Cancellation } from '../core/cancellation.ts';

/** What an exchange needs beyond opening the upstream: the record's observers, stream timings, the shutdown. */
export interface ExchangeDeps extends UpstreamOpening {
  cfg: Pick<OriginConfig, 'stream'>;
  observers: Observers;
  /** Aborted when a shutdown's grace period is over: open streams end with an error event. */
  shutdownSignal: AbortSignal;
}

export interface StreamExchange extends OpenOptions {
  framing: Framing;
  /** Turns the opened upstream's body into frames, read by read (frames due first are emitted here). */
  relay(opened: OpenedUpstream, emit: Emit): ChunkRelay;
}

const shuttingDown = () =>
  new PuertaError({ status: 503, type: 'overloaded_error', code: 'origin_shutting_down', message: 'the origin is shutting down; retry and another replica will answer', retryable: true, retryAfter: 1 });

const clientClosed = () =>
  new PuertaError({ status: 499, type: 'api_error', code: 'client_closed_request', message: 'client closed the request', retryable: false });

/**
 * A streamed request from routing to the last frame, with its record and slot kept right: the
 * stream's plan (stream-response.ts) as one object per request, not a closure per callback.
 */
class ExchangePlan implements StreamPlan<OpenedUpstream> {
  readonly requestId: string;
  readonly framing: Framing;
  readonly keepaliveMs: number;
  readonly writeStallMs: number;
  readonly shutdownSignal: AbortSignal;
  readonly shutdownError = shuttingDown;
  /** Admission's view of the queue while the request waits; let go once the upstream has answered. */
  private probe: QueueProbe | undefined = {};
  /**
   * The request's own side (its validated body, its Generation, the engine's request) until the
   * relay is built from it; then let go, so an open stream keeps only what relays it.
   */
  private ex: StreamExchange | undefined;
  private opened: OpenedUpstream | undefined;
  private ended = false;

  constructor(
    private readonly deps: ExchangeDeps,
    private readonly rec: RequestRecord,
    ex: StreamExchange,
    readonly openSink: OpenSink,
    readonly clientSignal: AbortSignal | undefined,
  ) {
    this.ex = ex;
    this.requestId = rec.requestId;
    this.framing = ex.framing;
    this.keepaliveMs = deps.cfg.stream.keepaliveMs;
    this.writeStallMs = deps.cfg.stream.writeStallMs;
    // The grace period covers the whole exchange: a stream still queued or connecting when it ends
    // gets its error event (or a 503 if nothing was sent yet), like one already relaying.
    this.shutdownSignal = deps.shutdownSignal;
  }

  queueStanding(): QueueStanding | undefined {
    return this.probe?.standing?.();
  }

  open(signal: Cancellation): Promise<OpenedUpstream> {
    return openUpstream(this.deps, this.rec, this.ex!, signal, this.probe).then((o) => {
      // Out of the queue for good: nothing of it is kept for the rest of the stream.
      this.probe = undefined;
      // Opened after the exchange already ended (shutdown won the race): hand it straight back.
      if (this.ended) {
        o.release();
        o.res.body.destroy();
      } else this.opened = o;
      return o;
    });
  }

  relay(o: OpenedUpstream, emit: Emit): UpstreamRelay {
    const ex = this.ex!;
    this.ex = undefined;
    return { body: o.res.body, relay: ex.relay(o, emit) };
  }

  onFirstByte(): void {
    this.rec.firstByteAt = Date.now();
    this.deps.observers.firstByte(this.rec);
  }

  onFrame(frame: Uint8Array): void {
    this.deps.observers.frame(this.rec, frame);
  }

  onKeepalive(): void {
    this.rec.keepalives++;
  }

  onEnd(result: StreamResult, bytesOut: number): void {
    const { deps, rec, opened } = this;
    this.ended = true;
    rec.bytesOut = bytesOut;
    if (opened) {
      opened.release();
      // Aborting the body frees the engine's slot at once if the relay stopped early.
      opened.res.body.close(result.outcome === 'ok');
    }
    if (result.outcome === 'ok') deps.observers.end(rec, 200);
    else if (result.outcome === 'client_cancelled') deps.observers.end(rec, 499, undefined, 'client_cancelled');
    else if (result.outcome === 'client_stalled') {
      deps.observers.end(rec, 499, undefined, 'client_stalled');
      deps.log.warn({ requestId: rec.requestId, writeStallMs: deps.cfg.stream.writeStallMs, bytesOut }, 'client stopped reading: stream ended, upstream aborted, slot freed');
    } else {
      const e = result.error;
      deps.observers.end(rec, result.committed ? 200 : e.status, e);
      if (e.status >= 500) deps.log.warn({ requestId: rec.requestId, code: e.code, committed: result.committed }, e.logMessage);
    }
  }
}

/** A streamed request from routing to the last frame, with its record and slot kept right. */
export function streamExchange(c: Context<OriginEnv>, deps: ExchangeDeps, ex: StreamExchange): Promise<Response> {
  const rec = c.get('record');
  rec.stream = true;
  deps.observers.start(rec);
  // The server adapter's sink (the Node response itself) watches the connection from the start;
  // a WHATWG stream body (anywhere else) learns of a client gone only once it is read, so the
  // request's own signal covers the wait before. Left untouched, that signal is never made.
  const adapterSink = c.env?.openSink;
  return runStream(new ExchangePlan(deps, rec, ex, adapterSink ?? openWebSink, adapterSink ? undefined : c.req.raw.signal));
}

/** A request answered with one JSON document (non-streaming); the slot is held until it is read. */
export async function jsonExchange<T>(c: Context<OriginEnv>, deps: ExchangeDeps, ex: OpenOptions, read: (opened: OpenedUpstream) => Promise<T>): Promise<T> {
  const rec = c.get('record');
  const signal = c.req.raw.signal;
  let opened: OpenedUpstream;
  try {
    opened = await openUpstream(deps, rec, ex, signal);
  } catch (err) {
    // The client left (while queued or connecting): the abort reason may be a bare string, which
    // Hono's error handling would let past every middleware, and the record would never end.
    if (signal.aborted) throw clientClosed();
    throw err;
  }
  try {
    const out = await read(opened);
    rec.firstByteAt = Date.now();
    return out;
  } catch (err) {
    // The body broke off (reset, idle timeout, cut JSON): the upstream's failure, not ours.
    if (signal.aborted) throw clientClosed();
    throw opened.upstream.bodyFailure(err);
  } finally {
    opened.release();
    opened.res.body.destroy();
  }
}
