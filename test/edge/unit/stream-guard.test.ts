/**
 * The edge's stream guard on its own (Node's WHATWG streams): what it relays, when it appends its
 * error frame, and what a chunk leaves behind. The same guard runs in workerd and Viceroy in
 * test/edge/failures.suite.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import { IdleWatch } from '../../../edge/forward/idle-watch.ts';
import { endedCleanly, guardStream, type GuardOptions } from '../../../edge/forward/stream-guard.ts';
import { HEAD_BYTES, TAIL_BYTES, TailWindow } from '../../../shared/stream-tail.ts';
import { isJobEventsPath, jobEventsEnded } from '../../../shared/job-events.ts';

const enc = new TextEncoder();
const sse = (extra: Partial<GuardOptions> = {}): GuardOptions => ({ kind: 'sse', dialect: 'openai', requestId: 'req_1', ...extra });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function drain(s: ReadableStream<Uint8Array>): Promise<string> {
  const dec = new TextDecoder();
  let out = '';
  const r = s.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) return out;
    out += dec.decode(value, { stream: true });
  }
}

function source(frames: string[], end: 'close' | 'error' | 'hang' = 'close'): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < frames.length) return c.enqueue(enc.encode(frames[i++]!));
      if (end === 'close') c.close();
      else if (end === 'error') c.error(new Error('socket reset'));
      else return new Promise(() => {});
    },
  });
}


describe('stream guard', () => {
  it('knows a finished SSE or NDJSON stream from a cut one', () => {
    expect(endedCleanly('openai', 'data: {}\n\ndata: [DONE]\n\n')).toBe(true);
    expect(endedCleanly('openai', 'data: {}\n\nevent: error\ndata: {"error":{}}\n\n')).toBe(true);
    expect(endedCleanly('openai', 'data: {}\n\n')).toBe(false);
    expect(endedCleanly('ollama', '{"done":false}\n{"done":true,"done_reason":"stop"}\n')).toBe(true);
    expect(endedCleanly('ollama', '{"done":false}\n{"error":"boom"}\n')).toBe(true);
    expect(endedCleanly('ollama', '{"done":false}\n')).toBe(false);
  });

  it('counts a terminal frame only when it is complete (blank line / newline), not when cut off', () => {
    expect(endedCleanly('openai', 'data: {}\n\nevent: error\ndata: {"error":{"mess')).toBe(false);
    expect(endedCleanly('openai', 'data: {}\n\nevent: error\ndata: {"error":{}}\n')).toBe(false);
    expect(endedCleanly('openai', 'data: {}\n\nevent: error\n')).toBe(false);
    expect(endedCleanly('openai', 'data: {}\n\ndata: [DONE]')).toBe(false);
    expect(endedCleanly('openai', 'data: [DONE]\n\n: keepalive\n\n')).toBe(true);
    expect(endedCleanly('openai', 'event: error\r\ndata: {"error":{}}\r\n\r\n')).toBe(true);
    expect(endedCleanly('ollama', '{"done":false}\n{"error":"bo')).toBe(false);
  });

  it('ends a cut-off error frame and adds its own complete one on a new frame boundary', async () => {
    const cut = 'event: error\ndata: {"error":{"message":"engine fa';
    const out = await drain(guardStream(source(['data: {"a":1}\n\n', cut], 'error'), { kind: 'sse', dialect: 'openai', requestId: 'req_1' }));
    expect(out.startsWith('data: {"a":1}\n\n' + cut + '\n\nevent: error\ndata: ')).toBe(true);
    expect(out.endsWith('\n\n')).toBe(true);
    const last = out.slice(0, -2).split('\n\n').pop()!;
    const body = JSON.parse(last.split('\n')[1]!.slice(6)) as { error: { code: string } };
    expect(body.error.code).toBe('origin_stream_interrupted');

    const ndjson = await drain(guardStream(source(['{"done":false}\n', '{"error":"bo'], 'close'), { kind: 'ndjson', dialect: 'ollama', requestId: 'req_1' }));
    expect(ndjson.split('\n').filter(Boolean).slice(-1).map((l) => JSON.parse(l) as { error: string })[0]!.error).toMatch(/final frame/);
  });

  it('relays a clean stream unchanged', async () => {
    const frames = ['data: {"a":1}\n\n', ': keepalive\n\n', 'data: [DONE]\n\n'];
    expect(await drain(guardStream(source(frames), { kind: 'sse', dialect: 'openai', requestId: 'req_1' }))).toBe(frames.join(''));
  });

  it('appends one error event when the origin stream breaks or ends early', async () => {
    for (const end of ['error', 'close'] as const) {
      const out = await drain(guardStream(source(['data: {"a":1}\n\n'], end), { kind: 'sse', dialect: 'openai', requestId: 'req_1' }));
      expect(out.startsWith('data: {"a":1}\n\n')).toBe(true);
      const tail = out.slice('data: {"a":1}\n\n'.length);
      expect(tail).toMatch(/^event: error\ndata: /);
      const body = JSON.parse(tail.split('\n')[1]!.slice(6)) as { error: { code: string; retryable: boolean }; request_id: string };
      expect(body).toMatchObject({ error: { code: 'origin_stream_interrupted', retryable: true }, request_id: 'req_1' });
    }
  });

  it('relays an ingestion job\'s progress stream, which ends with `event: done`, unchanged; a cut one gets the error event', async () => {
    const path = '/v1/ingest/jobs/job_1/events';
    expect(isJobEventsPath(path)).toBe(true);
    expect(isJobEventsPath('/v1/chat/completions')).toBe(false);
    const opts = sse({ endedCleanly: isJobEventsPath(path) ? jobEventsEnded : undefined });
    const frames = ['event: progress\ndata: {"documents":{"done":0}}\n\n', 'event: progress\ndata: {"documents":{"done":1}}\n\n', 'event: done\ndata: {"documents":{"done":1}}\n\n'];
    expect(await drain(guardStream(source(frames), opts))).toBe(frames.join(''));
    expect(await drain(guardStream(source(frames, 'error'), opts))).toBe(frames.join(''));
    const cut = await drain(guardStream(source(frames.slice(0, 2)), opts));
    expect(cut.slice(frames[0]!.length + frames[1]!.length)).toMatch(/^event: error\ndata: .*"origin_stream_interrupted"/);
  });

  it('ends an idle stream with a timeout error when the platform has no between-bytes limit', async () => {
    const out = await drain(guardStream(source(['data: {"a":1}\n\n'], 'hang'), { kind: 'sse', dialect: 'openai', requestId: 'req_1', idleTimeoutMs: 50 }));
    expect(out).toContain('"code":"upstream_timeout"');
  });

  it('ends a cut NDJSON stream with an Ollama-style error line', async () => {
    const out = await drain(guardStream(source(['{"done":false}\n'], 'error'), { kind: 'ndjson', dialect: 'ollama', requestId: 'req_1' }));
    const last = JSON.parse(out.trim().split('\n').pop()!) as { error: string };
    expect(last.error).toMatch(/broke/);
  });

  it('cancels the origin body when the client goes away', async () => {
    let cancelled = false;
    const src = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(enc.encode('data: {}\n\n')),
      cancel: () => {
        cancelled = true;
      },
    });
    const guarded = guardStream(src, { kind: 'sse', dialect: 'openai', requestId: 'req_1' });
    const r = guarded.getReader();
    await r.read();
    await r.cancel('client gone');
    expect(cancelled).toBe(true);
  });
});

describe('stream guard: where the terminal frame falls', () => {
  it('sees a terminal frame split across chunks and adds nothing (SSE and NDJSON)', async () => {
    const frames = ['data: {"a":1}\n\n', 'data: [DO', 'NE]\n', '\n'];
    expect(await drain(guardStream(source(frames), sse()))).toBe(frames.join(''));
    const lines = ['{"done":false}\n', '{"done":tr', 'ue,"done_reason":"stop"}', '\n'];
    expect(await drain(guardStream(source(lines), { kind: 'ndjson', dialect: 'ollama', requestId: 'req_1' }))).toBe(lines.join(''));
    const anthropic = ['event: message_delta\ndata: {}\n\nevent: mess', 'age_stop\ndata: {"type":"message_stop"}\n\n'];
    expect(await drain(guardStream(source(anthropic), sse({ dialect: 'anthropic' })))).toBe(anthropic.join(''));
  });

  it('adds nothing when the terminal frame is the last thing and the body just ends, or breaks after it', async () => {
    for (const end of ['close', 'error'] as const) {
      expect(await drain(guardStream(source(['data: [DONE]\n\n'], end), sse()))).toBe('data: [DONE]\n\n');
    }
  });

  it('still ends a split terminal frame that never completes with its own error frame', async () => {
    const out = await drain(guardStream(source(['data: {"a":1}\n\n', 'data: [DO']), sse()));
    expect(out.startsWith('data: {"a":1}\n\ndata: [DO\n\nevent: error\ndata: ')).toBe(true);
  });

  it('judges a very long last chunk by its end, whole or cut', async () => {
    const long = 'data: {"choices":[{"delta":{"content":"' + 'x'.repeat(3 * TAIL_BYTES) + '"}}]}\n\n';
    expect((await drain(guardStream(source([long + 'data: [DONE]\n\n']), sse()))) === long + 'data: [DONE]\n\n').toBe(true);
    const cut = await drain(guardStream(source(['data: {"a":1}\n\n', long.slice(0, -40)]), sse()));
    expect(cut.startsWith('data: {"a":1}\n\n' + long.slice(0, -40) + '\n\nevent: error\ndata: ')).toBe(true);
    expect(cut).toMatch(/"code":"origin_stream_interrupted"/);
  });

  it('answers an empty body, ended or broken, with the error frame alone', async () => {
    for (const end of ['close', 'error'] as const) expect(await drain(guardStream(source([], end), sse()))).toMatch(/^event: error\ndata: .*\n\n$/);
  });
});

describe('stream guard: a terminal frame longer than the tail window', () => {
  const big = 'x'.repeat(3 * TAIL_BYTES);
  const chunked = (text: string, size: number) => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

  it('sees Responses\' response.completed carrying a long answer, however it is chunked', async () => {
    const stream =
      'event: response.output_text.delta\ndata: {"delta":"x"}\n\n' +
      `event: response.completed\ndata: {"type":"response.completed","response":{"output":[{"text":"${big}"}]}}\n\n`;
    for (const size of [stream.length, 4096, 1000, 7]) {
      const out = await drain(guardStream(source(chunked(stream, size)), sse({ dialect: 'responses' })));
      expect(out === stream, `chunks of ${size}`).toBe(true);
    }
    // With keepalive comments after it, and with CRLF line ends.
    const kept = stream + ': keepalive\n\n'.repeat(3);
    expect((await drain(guardStream(source(chunked(kept, 5000)), sse({ dialect: 'responses' })))) === kept).toBe(true);
    const crlf = stream.replaceAll('\n', '\r\n');
    expect((await drain(guardStream(source(chunked(crlf, 3000)), sse({ dialect: 'responses' })))) === crlf).toBe(true);
  });

  it('sees Ollama\'s final /api/generate line with a long context', async () => {
    const context = Array.from({ length: 6000 }, (_, i) => i).join(',');
    const stream = '{"response":"hi","done":false}\n' + `{"response":"","done":true,"done_reason":"stop","context":[${context}],"eval_count":2}\n`;
    for (const size of [stream.length, 4096, 333]) {
      expect((await drain(guardStream(source(chunked(stream, size)), { kind: 'ndjson', dialect: 'ollama', requestId: 'req_1' }))) === stream).toBe(true);
    }
  });

  it('still ends a long frame that is not terminal, or a terminal one cut off, with its own error frame', async () => {
    const delta = `event: response.output_text.delta\ndata: {"delta":"${big}"}\n\n`;
    const out = await drain(guardStream(source(chunked(delta, 4096)), sse({ dialect: 'responses' })));
    // No sequence_number in this made-up stream: the guard names the response first.
    expect(out.startsWith(delta + 'event: response.created\n') && out.includes('\n\nevent: response.failed\n')).toBe(true);
    const completed = `event: response.completed\ndata: {"response":{"output":"${big}`;
    const cut = await drain(guardStream(source(chunked(completed, 4096)), sse({ dialect: 'responses' })));
    expect(cut.startsWith(completed + '\n\nevent: ')).toBe(true);
  });

  it('sees the long frame whether the chunks before and after it are whole frames or not', async () => {
    const long = `event: response.completed\ndata: {"response":{"output_text":"${big}"}}\n\n`;
    const pieces = (t: string) => chunked(t, 4096);
    const shapes: string[][] = [
      ['event: response.created\ndata: {}\n\n', 'event: response.output_text.delta\ndata: {"delta":"a"}\n\n', ...pieces(long)],
      ['event: response.created\ndata: {}\n\n', ...pieces(long), ': keepalive\n\n', ': keepalive\n\n'],
      ['event: response.created\ndata: {}\n\nevent: response.output_text.delta\ndata: {}\n\n', long],
      ['event: response.output_text.delta\ndata: {"delta":"a"}\n\nevent: resp', ...pieces(long.slice(0)).map((p, i) => (i === 0 ? 'onse.x\ndata: {}\n\n' + p : p))],
    ];
    for (const [k, chunks] of shapes.entries()) {
      const out = await drain(guardStream(source(chunks), sse({ dialect: 'responses' })));
      expect(out === chunks.join(''), `shape ${k}`).toBe(true);
    }
    // Whole-frame chunks ending the stream, then more keepalive than the tail holds: still clean.
    const done = ['data: {"a":1}\n\n', 'data: {"a":2}\n\ndata: [DONE]\n\n', ...Array(800).fill(': keepalive\n\n')];
    expect((await drain(guardStream(source(done), sse()))) === done.join('')).toBe(true);
    const cut = ['data: {"a":1}\n\n', ...Array(800).fill(': keepalive\n\n')];
    expect(await drain(guardStream(source(cut), sse()))).toMatch(/event: error\ndata: .*\n\n$/);
  });

  it('keeps the start of the last complete frame that carries an event, chunked any way', () => {
    const frames = ['event: a\ndata: 1\n\n', `event: b\ndata: ${'y'.repeat(2 * TAIL_BYTES)}\n\n`, ': keepalive\n\n'];
    const text = frames.join('');
    for (const size of [1, 2, 3, 100, 4096, text.length]) {
      const w = new TailWindow('sse');
      for (let i = 0; i < text.length; i += size) w.push(enc.encode(text.slice(i, i + size)));
      const out = w.text();
      expect(out.startsWith('event: b\ndata: yyy'), `chunks of ${size}`).toBe(true);
      expect(out.length).toBe(HEAD_BYTES + TAIL_BYTES);
      expect(out.endsWith('yyy\n\n: keepalive\n\n')).toBe(true);
    }
  });
});

describe('stream guard: idle limit', () => {
  it('fires after a quiet period, not while chunks keep coming within the limit', async () => {
    // A fake clock: on a loaded machine a real 60 ms pause once ran past the 100 ms limit.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      let i = 0;
      const src = new ReadableStream<Uint8Array>({
        async pull(c) {
          // Five frames 60 ms apart (300 ms in all, well past the 100 ms limit), then silence.
          if (i < 5) {
            await sleep(60);
            c.enqueue(enc.encode(`data: {"n":${i++}}\n\n`));
            return;
          }
          return new Promise(() => {});
        },
      });
      const t0 = Date.now();
      const drained = drain(guardStream(src, sse({ idleTimeoutMs: 100 })));
      let out: string | undefined;
      void drained.then((o) => (out = o));
      // Just short of the limit after the last frame: still open.
      await vi.advanceTimersByTimeAsync(300 + 99);
      expect(out).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      out = await drained;
      const frames = out.trimEnd().split('\n\n');
      expect(frames.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((n) => `data: {"n":${n}}`));
      expect(frames).toHaveLength(6);
      expect(frames[5]).toMatch(/^event: error\ndata: .*"code":"upstream_timeout"/);
      expect(Date.now() - t0).toBe(300 + 100);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not count time the client takes to read (backpressure) as origin silence', async () => {
    const frames = ['data: {"a":1}\n\n', 'data: {"a":2}\n\n', 'data: [DONE]\n\n'];
    const r = guardStream(source(frames), sse({ idleTimeoutMs: 40 })).getReader();
    let out = '';
    for (;;) {
      await sleep(120);
      const { done, value } = await r.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(out).toBe(frames.join(''));
  });

  it('closes quietly when the origin idles after its terminal frame', async () => {
    expect(await drain(guardStream(source(['data: [DONE]\n\n'], 'hang'), sse({ idleTimeoutMs: 50 })))).toBe('data: [DONE]\n\n');
  });

  it('cancels the origin body when the limit fires', async () => {
    let reason: unknown;
    const src = new ReadableStream<Uint8Array>({
      pull: () => new Promise(() => {}),
      cancel: (r) => {
        reason = r;
      },
    });
    await drain(guardStream(src, sse({ idleTimeoutMs: 30 })));
    expect(reason).toBe('idle timeout');
  });

  it('IdleWatch re-arms one timer per wait and stops for good', async () => {
    let fired = 0;
    const w = new IdleWatch(50, () => fired++);
    w.waiting();
    await sleep(30);
    w.settled();
    w.waiting(); // a new wait: the 50 ms count again from here
    await sleep(35);
    expect(fired).toBe(0);
    await sleep(40);
    expect(fired).toBe(1);
    w.waiting();
    await sleep(80);
    expect(fired).toBe(1);
    const stopped = new IdleWatch(20, () => fired++);
    stopped.waiting();
    stopped.stop();
    await sleep(40);
    expect(fired).toBe(1);
  });
});

describe('stream guard: cancellation', () => {
  it('passes the client\'s cancel reason to the origin body and reads nothing more from it', async () => {
    let reason: unknown;
    let pulls = 0;
    const src = new ReadableStream<Uint8Array>({
      pull: (c) => {
        pulls++;
        c.enqueue(enc.encode('data: {}\n\n'));
      },
      cancel: (r) => {
        reason = r;
      },
    });
    const r = guardStream(src, sse({ idleTimeoutMs: 1000 })).getReader();
    await r.read();
    await r.cancel('client gone');
    const after = pulls;
    await sleep(20);
    expect(reason).toBe('client gone');
    expect(pulls).toBe(after);
  });
});

describe('tail window', () => {
  it('keeps exactly the last TAIL_BYTES bytes, whatever the chunk sizes', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 20; round++) {
      const w = new TailWindow('sse');
      let all = '';
      for (let k = 0; k < 60; k++) {
        const len = Math.floor(rand() < 0.1 ? rand() * 3 * TAIL_BYTES : rand() * 700);
        const text = String.fromCharCode(97 + (k % 26)).repeat(len);
        all += text;
        w.push(enc.encode(text));
        expect(w.text()).toBe(all.slice(-TAIL_BYTES));
      }
    }
  });

  it('copies: a chunk changed after it was handed on does not change the tail', () => {
    const w = new TailWindow('sse');
    const chunk = enc.encode('data: [DONE]\n\n');
    w.push(chunk);
    chunk.fill(0);
    expect(w.text()).toBe('data: [DONE]\n\n');
  });
});
