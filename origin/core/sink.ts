/**
 * Where a stream's frames go. The portable core (runStream) writes to this interface; the server
 * adapter picks the implementation: origin/node/response-sink.ts writes straight to Node's
 * ServerResponse, origin/stream/web-sink.ts builds a WHATWG ReadableStream Response for any other
 * runtime (and for `app.request()`).
 */

/** What the sink tells the stream about its client. */
export interface SinkEvents {
  /** The client read what was buffered: a write that returned false may be followed by more. */
  drain(): void;
  /** The client went away (closed the connection, cancelled the body). */
  gone(): void;
}

export interface StreamSink {
  /**
   * Commits the status and headers. The returned Response is what the handler answers with; the
   * body belongs to the sink (the headers may still be changed by middleware until it is sent).
   * `headers` is the sink's from then on: it may keep the object as the head's own.
   */
  open(status: number, headers: Record<string, string>): Response;
  /** Sends one frame; false when the client's buffer is full (more may follow after drain). */
  write(frame: Uint8Array): boolean;
  /** Ends the body after what was written. */
  end(): void;
  /**
   * Ends the body with `last` as its final bytes: the same as write(last) then end(), in one
   * write where the connection allows (on Node: the last chunk and the chunked terminator together).
   */
  endWith(last: Uint8Array): void;
  /** Drops the connection; unread bytes are discarded (a client that stopped reading). */
  abort(): void;
}

/** Made once per streamed response, by the server adapter (OriginEnv's `openSink`). */
export type OpenSink = (events: SinkEvents) => StreamSink;
