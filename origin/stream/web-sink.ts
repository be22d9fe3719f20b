import { SINK_HIGH_WATER_BYTES, type OpenSink, type SinkEvents, type StreamSink } from './sink.ts';

/**
 * The portable sink: a WHATWG ReadableStream as the Response body, for runtimes other than Node
 * and for `app.request()`. Its queue is byte-counted, so `write` says false once ~64 KiB wait.
 */
class WebStreamSink implements StreamSink {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly stream: ReadableStream<Uint8Array>;
  private closed = false;

  constructor(events: SinkEvents) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c;
        },
        pull: () => events.drain(),
        cancel: () => {
          this.closed = true;
          events.gone();
        },
      },
      { highWaterMark: SINK_HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength },
    );
  }

  open(status: number, headers: Record<string, string>): Response {
    return new Response(this.stream, { status, headers });
  }

  write(frame: Uint8Array): boolean {
    if (this.closed) return true;
    this.controller.enqueue(frame);
    return (this.controller.desiredSize ?? 1) > 0;
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller.close();
  }

  /** A WHATWG body has no framing of its own to join: the last bytes, then the end. */
  endWith(last: Uint8Array): void {
    this.write(last);
    this.end();
  }

  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller.error(new Error('client stopped reading'));
  }
}

export const openWebSink: OpenSink = (events) => new WebStreamSink(events);
