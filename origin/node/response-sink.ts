import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { SINK_HIGH_WATER_BYTES, type OpenSink, type SinkEvents, type StreamSink } from '../stream/sink.ts';
import { writeChunk } from './chunked-write.ts';
import { sinkResponse, type SinkResponse } from './sink-head.ts';
import { flatten } from '../../shared/flat-string.ts';

/**
 * A stream written straight to Node's ServerResponse: no WHATWG stream between the relay and the
 * socket. The head is written only once the app has answered (sendHead), because middleware sets
 * headers (x-request-id, server-timing) on the Response after the handler returns; frames
 * written before that wait and go out right after the head.
 */
export class NodeResponseSink implements StreamSink {
  /** The answer the handler was given by open(), until takeOver compares it with the app's answer. */
  response: SinkResponse | undefined;
  /** Frames written before the head went out; past SINK_HIGH_WATER_BYTES, writes report a full buffer. */
  private pending: Uint8Array[] | null = [];
  private pendingBytes = 0;
  private ended = false;
  private closed = false;
  /** Something went to `out` after the head (which then left with it): no separate head flush. */
  private wrote = false;
  /**
   * The connection, once the head has gone out with chunked framing: frames after that are
   * written to it as framed chunks (chunked-write.ts), and its 'drain' is the sink's. Until then
   * (and for a client without chunked framing) frames go through ServerResponse.
   */
  private socket: Socket | null = null;

  constructor(
    private readonly out: ServerResponse,
    private readonly events: SinkEvents,
  ) {
    // The client may already be gone (it left while its body was read or the request queued):
    // told after the stream has started, as a later close would be.
    if (out.closed) queueMicrotask(this.onClose);
    // 'close' comes once; takeOver removes the listener when the app answered otherwise.
    else out.on('close', this.onClose);
  }

  private readonly onClose = (): void => {
    this.closed = true;
    this.out.off('drain', this.events.drain);
    this.releaseSocket();
    if (!this.out.writableFinished) this.events.gone();
  };

  /** The head as plain fields (./sink-head.ts): takeOver writes its record as middleware left it. */
  open(status: number, headers: Record<string, string>): Response {
    this.response = sinkResponse(status, headers);
    return this.response;
  }

  write(frame: Uint8Array): boolean {
    if (this.closed || this.ended) return true;
    const pending = this.pending;
    if (pending === null) {
      this.wrote = true;
      if (this.socket !== null) {
        // The client sent its end and Node ended the connection, before the response's 'close'
        // (which follows and tells the stream): a write now is a 'write after end' error whose
        // stack Node formats (source-mapped, as the origin runs) for nobody.
        if (!this.socket.writable) return true;
        return writeChunk(this.socket, frame);
      }
      const ok = this.out.write(frame);
      this.headSent();
      return ok;
    }
    pending.push(frame);
    this.pendingBytes += frame.byteLength;
    return this.pendingBytes < SINK_HIGH_WATER_BYTES;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.pending === null && !this.closed) {
      this.wrote = true;
      this.releaseSocket();
      // ServerResponse still frames the response (it wrote the head): it writes the terminator.
      this.out.end();
    }
  }

  /** The last frames and the end: ServerResponse frames them with the terminator, one write. */
  endWith(last: Uint8Array): void {
    if (this.ended) return;
    if (this.pending !== null || this.closed) {
      // Not taken over yet: the head, what waits and this leave together at takeOver.
      if (this.pending !== null) {
        this.pending.push(last);
        this.pendingBytes += last.byteLength;
      }
      this.end();
      return;
    }
    this.ended = true;
    this.wrote = true;
    this.releaseSocket();
    this.out.end(last);
  }

  /** The head has gone out: later frames may go straight to the connection. */
  private headSent(): void {
    const out = this.out;
    if (this.socket !== null || this.closed || !out.chunkedEncoding || !out.socket) return;
    this.socket = out.socket;
    this.socket.on('drain', this.events.drain);
  }

  /** The connection outlives the response (keep-alive): its next one must not call this stream. */
  private releaseSocket(): void {
    this.socket?.off('drain', this.events.drain);
    this.socket = null;
  }

  abort(): void {
    this.ended = true;
    this.pending = null;
    this.releaseSocket();
    this.out.destroy();
  }

  /**
   * Called by the adapter with the app's final answer. When it is this sink's Response, the head
   * goes out with the headers as middleware left them, then whatever was written meanwhile;
   * node-server is told the response is already sent. Any other answer (the app failed after the
   * stream committed) is sent instead, and the stream is told its client is gone.
   */
  takeOver(res: Response): Response {
    const response = this.response;
    // Its head is written below (or never will be): the stream does not keep it, its headers
    // (every value middleware set) included, for as long as it runs.
    this.response = undefined;
    if (res !== response || response === undefined || this.closed) {
      if (!this.closed && response !== undefined) this.events.gone();
      this.pending = null;
      this.closed = true;
      this.out.off('close', this.onClose);
      return res === response ? RESPONSE_ALREADY_SENT : res;
    }
    const out = this.out;
    out.writeHead(response.status, response.headers.record);
    // Node keeps the head it built by concatenation for the response's whole life; flat, it is
    // about 1.5 KiB smaller per open stream (shared/flat-string.ts).
    flatten((out as unknown as { _header: string | null })._header);
    const pending = this.pending!;
    const wasFull = this.pendingBytes >= SINK_HIGH_WATER_BYTES;
    this.pending = null;
    this.pendingBytes = 0;
    out.on('drain', this.events.drain);
    let ok = true;
    // No frame yet: the head waits for the rest of this turn of the event loop, so a first frame
    // read in the same turn (an upstream often sends its head and first token together) leaves
    // in the same write; otherwise the client gets the status and headers on their own, at once.
    if (pending.length === 0) {
      if (!this.ended) setImmediate(flushHead, this);
    } else {
      ok = out.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
      this.headSent();
    }
    if (this.ended) out.end();
    // Still full: Node's own drain event says when the client has read it.
    else if (wasFull && ok) this.events.drain();
    return RESPONSE_ALREADY_SENT;
  }

  /** The head on its own, when no frame followed it within the turn it was taken over in. */
  flushHead(): void {
    if (this.wrote || this.closed || this.out.destroyed) return;
    this.out.flushHeaders();
    this.headSent();
  }
}

function flushHead(sink: NodeResponseSink): void {
  sink.flushHead();
}

/**
 * One request's sink factory; `sink` is set once the app opened a stream. A class, not an object
 * literal with a getter: one is made per request, and a literal's accessor costs more to build.
 */
export class NodeSinkSlot {
  sink: NodeResponseSink | undefined;
  readonly openSink: OpenSink;

  constructor(out: ServerResponse) {
    this.openSink = (events) => (this.sink = new NodeResponseSink(out, events));
  }
}
