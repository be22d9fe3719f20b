/**
 * runStream over a sink: keepalive, backpressure (the upstream body paused and resumed), one
 * write per upstream read, client cancellation, a client that stopped reading, shutdown, and
 * the error frame after the status is committed. The upstream body is a real Node stream
 * (origin/upstream/dispatch-body.ts has its own tests over a real HTTP server).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PuertaError } from '../../shared/errors.ts';
import { ndjsonFraming, sseFraming } from '../../origin/stream/framing.ts';
import type { OpenSink, SinkEvents, StreamSink } from '../../origin/stream/sink.ts';
import { runStream, type ChunkRelay, type Emit, type StreamPlan, type StreamResult, type UpstreamBody } from '../../origin/stream/stream-response.ts';
import { openWebSink } from '../../origin/stream/web-sink.ts';
import type { Cancellation } from '../../origin/core/cancellation.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A sink that records every write; `full` makes writes report a full buffer. */
class RecordingSink implements StreamSink {
  writes: string[] = [];
  full = false;
  ended = false;
  aborted = false;
  events!: SinkEvents;
  open(status: number, headers: Readonly<Record<string, string>>): Response {
    return new Response(null, { status, headers: { ...headers } });
  }
  write(frame: Uint8Array): boolean {
    this.writes.push(dec.decode(frame));
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  endWith(last: Uint8Array): void {
    this.write(last);
    this.end();
  }
  abort(): void {
    this.aborted = true;
  }
}

function recording(): { sink: RecordingSink; openSink: OpenSink } {
  const sink = new RecordingSink();
  return {
    sink,
    openSink: (events) => {
      sink.events = events;
      return sink;
    },
  };
}

/** Each upstream read becomes one frame per line (`x\ny\n` → two frames); `fail!` lines throw. */
function linesRelay(emit: Emit): ChunkRelay {
  return {
    chunk(bytes) {
      for (const line of dec.decode(bytes).split('\n')) {
        if (line === '') continue;
        if (line === 'fail!') throw new PuertaError({ status: 502, type: 'api_error', code: 'upstream_error', message: 'engine failed', retryable: true });
        emit(enc.encode(`data: ${line}\n\n`));
      }
      return false;
    },
    end() {},
    fail: () => new PuertaError({ status: 502, type: 'api_error', code: 'upstream_reset', message: 'reset', retryable: true }),
  };
}

/** A Node stream as the relay's upstream body: its events become the consumer's calls. */
function streamBody(stream: PassThrough): UpstreamBody {
  return {
    consume(consumer) {
      stream.on('data', (c: Uint8Array) => consumer.data(c));
      stream.once('end', () => consumer.end());
      stream.once('error', (e) => consumer.error(e));
    },
    pause: () => stream.pause(),
    resume: () => stream.resume(),
  };
}

function plan(over: Partial<StreamPlan<PassThrough>> & Pick<StreamPlan<PassThrough>, 'openSink'>, body: PassThrough, ended: StreamResult[]): StreamPlan<PassThrough> {
  return {
    requestId: 'req-test',
    framing: sseFraming,
    keepaliveMs: 60_000,
    writeStallMs: 60_000,
    clientSignal: new AbortController().signal,
    open: async () => body,
    relay: (b, emit) => ({ body: streamBody(b), relay: linesRelay(emit) }),
    onEnd: (r) => ended.push(r),
    ...over,
  };
}

describe('runStream', () => {
  it('sends all frames of one upstream read with one write', async () => {
    const { sink, openSink } = recording();
    const body = new PassThrough();
    const ended: StreamResult[] = [];
    const res = await runStream(plan({ openSink }, body, ended));
    expect(res.status).toBe(200);
    body.write('a\nb\nc\n');
    await sleep(10);
    body.write('d\n');
    await sleep(10);
    body.end();
    await sleep(10);
    expect(sink.writes).toEqual(['data: a\n\ndata: b\n\ndata: c\n\n', 'data: d\n\n']);
    expect(ended).toEqual([{ outcome: 'ok' }]);
    expect(sink.ended).toBe(true);
  });

  it('pauses the upstream body while the client buffer is full and resumes it on drain', async () => {
    const { sink, openSink } = recording();
    const body = new PassThrough();
    const ended: StreamResult[] = [];
    await runStream(plan({ openSink }, body, ended));
    sink.full = true;
    body.write('a\n');
    await sleep(10);
    expect(body.isPaused()).toBe(true);
    body.write('b\n');
    await sleep(10);
    expect(sink.writes).toEqual(['data: a\n\n']);
    sink.full = false;
    sink.events.drain();
    await sleep(10);
    expect(body.isPaused()).toBe(false);
    expect(sink.writes).toEqual(['data: a\n\n', 'data: b\n\n']);
    body.end();
    await sleep(10);
    expect(ended).toEqual([{ outcome: 'ok' }]);
  });

  it('a client that reads nothing with a full buffer is cut off as client_stalled and the upstream aborted', async () => {
    const { sink, openSink } = recording();
    const body = new PassThrough();
    const ended: StreamResult[] = [];
    let upstreamSignal: Cancellation | undefined;
    await runStream(
      plan(
        {
          openSink,
          writeStallMs: 50,
          open: async (signal) => {
            upstreamSignal = signal;
            return body;
          },
        },
        body,
        ended,
      ),
    );
    sink.full = true;
    body.write('a\n');
    await sleep(120);
    expect(ended).toEqual([{ outcome: 'client_stalled' }]);
    expect(sink.aborted).toBe(true);
    expect(upstreamSignal?.aborted).toBe(true);
  });

  it('keeps a queued stream alive with keepalives, committing the status before the upstream answers', async () => {
    const { sink, openSink } = recording();
    const body = new PassThrough();
    const ended: StreamResult[] = [];
    let keepalives = 0;
    let answer!: (b: PassThrough) => void;
    const res = await runStream(plan({ openSink, keepaliveMs: 20, open: () => new Promise((r) => (answer = r)), onKeepalive: () => keepalives++ }, body, ended));
    expect(res.status).toBe(200);
    await sleep(70);
    expect(keepalives).toBeGreaterThanOrEqual(2);
    expect(sink.writes.every((w) => w === ': keepalive\n\n')).toBe(true);
    answer(body);
    await sleep(5);
    body.end('a\n');
    await sleep(10);
    expect(sink.writes.at(-1)).toBe('data: a\n\n');
    expect(ended).toEqual([{ outcome: 'ok' }]);
  });

  it('a client that leaves aborts the upstream and ends once, as client_cancelled', async () => {
    const { openSink } = recording();
    const body = new PassThrough();
    const ended: StreamResult[] = [];
    const client = new AbortController();
    let upstreamSignal: Cancellation | undefined;
    await runStream(
      plan(
        {
          openSink,
          clientSignal: client.signal,
          open: async (signal) => {
            upstreamSignal = signal;
            return body;
          },
        },
        body,
        ended,
      ),
    );
    body.write('a\n');
    await sleep(5);
    client.abort();
    body.write('b\n');
    await sleep(5);
    expect(ended).toEqual([{ outcome: 'client_cancelled' }]);
    expect(upstreamSignal?.aborted).toBe(true);
  });

  it('a client gone while queued (the sink says so) leaves the queue: open() is aborted', async () => {
    const { sink, openSink } = recording();
    const body = new PassThrough();
    const ended: StreamResult[] = [];
    let upstreamSignal: Cancellation | undefined;
    const res = runStream(
      plan(
        {
          openSink,
          open: (signal) =>
            new Promise((_, reject) => {
              upstreamSignal = signal;
              signal.addEventListener('abort', () => reject(signal.reason));
            }),
        },
        body,
        ended,
      ),
    );
    await sleep(5);
    sink.events.gone();
    await expect(res).rejects.toMatchObject({ status: 499 });
    expect(upstreamSignal?.aborted).toBe(true);
    expect(ended).toEqual([{ outcome: 'client_cancelled' }]);
  });

  it('a failing read sends its earlier frames, then the error frame, and ends once', async () => {
    const { sink, openSink } = recording();
    const body = new PassThrough();
    const ended: StreamResult[] = [];
    await runStream(plan({ openSink }, body, ended));
    body.write('a\nfail!\n');
    await sleep(10);
    expect(sink.writes[0]).toBe('data: a\n\n');
    expect(sink.writes[1]).toMatch(/^event: error\ndata: .*"engine failed"/);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ outcome: 'error', committed: true });
    expect(sink.ended).toBe(true);
  });

  it('shutdown ends a relaying stream with its error frame, and answers a queued one with a 503', async () => {
    const shutdown = new AbortController();
    const shuttingDown = () => new PuertaError({ status: 503, type: 'overloaded_error', code: 'origin_shutting_down', message: 'shutting down', retryable: true });
    const a = recording();
    const bodyA = new PassThrough();
    const endedA: StreamResult[] = [];
    await runStream(plan({ openSink: a.openSink, framing: ndjsonFraming, shutdownSignal: shutdown.signal, shutdownError: shuttingDown }, bodyA, endedA));
    const b = recording();
    const endedB: StreamResult[] = [];
    const queued = runStream(plan({ openSink: b.openSink, shutdownSignal: shutdown.signal, shutdownError: shuttingDown, open: () => new Promise(() => {}) }, new PassThrough(), endedB));
    bodyA.write('a\n');
    await sleep(5);
    shutdown.abort();
    await expect(queued).rejects.toMatchObject({ status: 503, code: 'origin_shutting_down' });
    expect(endedA[0]).toMatchObject({ outcome: 'error', committed: true });
    expect(a.sink.writes.at(-1)).toMatch(/^\{"error":/);
    expect(endedB[0]).toMatchObject({ outcome: 'error', committed: false });
  });

  it('a body error after a partial read ends with the relay\'s typed error', async () => {
    const { sink, openSink } = recording();
    const body = new PassThrough();
    const ended: StreamResult[] = [];
    await runStream(plan({ openSink }, body, ended));
    body.write('a\n');
    await sleep(5);
    body.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await sleep(5);
    expect(ended[0]).toMatchObject({ outcome: 'error', committed: true, error: { code: 'upstream_reset' } });
    expect(sink.writes.at(-1)).toMatch(/^event: error\n/);
  });
});

describe('runStream over the WHATWG sink', () => {
  it('a keepalive while the relay waits for a slow reader does not strand the relay', async () => {
    const frames = 12;
    const frame = 'x'.repeat(16 * 1024);
    const body = new PassThrough();
    const ended: StreamResult[] = [];
    const res = await runStream(plan({ openSink: openWebSink, keepaliveMs: 20 }, body, ended));
    for (let i = 0; i < frames; i++) body.write(frame + '\n');
    body.end();
    const reader = res.body!.getReader();
    await reader.read();
    // The reader stalls: the body is paused (64 KiB queued) and the stream goes silent for
    // several keepalive intervals.
    await sleep(150);
    let bytes = 0;
    const drained = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        bytes += value.byteLength;
      }
    })();
    const outcome = await Promise.race([drained.then(() => 'done'), sleep(2_000).then(() => 'hung')]);
    expect(outcome).toBe('done');
    expect(ended).toEqual([{ outcome: 'ok' }]);
    expect(bytes).toBeGreaterThanOrEqual((frames - 1) * frame.length);
  });
});
