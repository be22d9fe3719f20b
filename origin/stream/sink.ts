/**
 * Where a stream's frames go. The portable core (runStream) writes to this interface; the server
 * adapter picks the implementation: origin/node/response-sink.ts writes straight to Node's
 * ServerResponse, origin/stream/web-sink.ts builds a WHATWG ReadableStream Response for any other
 * runtime (and for `app.request()`).
 */

/**
 * Unread bytes a sink holds for a slow client before `write` reports a full buffer (the stream
 * then pauses its upstream read); both sinks' own buffers use it.
 */
export const SINK_HIGH_WATER_BYTES = 64 * 1024;

export type { OpenSink, SinkEvents, StreamSink } from '../core/sink.ts';
