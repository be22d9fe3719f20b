/**
 * The scheduler as a client sees it, against the real server and the simulator: requests beyond
 * the slots wait with no response headers; a client that leaves frees its slot at once; only
 * requests waiting for a model load count against OLLAMA_MAX_QUEUE (503 beyond); keep_alive
 * decides when a model leaves /api/ps; the token-repeat abort ends a 200 with no final object.
 *
 * The bounds here are generous on purpose: the real model runs on a shared 2-core CPU and the
 * simulator cannot reproduce its timing; the checks are about order and presence, not speed.
 */
import { request, type ClientRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { describeOllama, tinyModels } from '../helpers/ollama.ts';
import { bothEngines, observe, type Pair } from './compare.ts';
import type { Target } from './targets.ts';
import { ndjson, send, sseData } from './wire.ts';

/** A long answer on both engines: the real model never says its stop word; the directive sets the simulator's length. */
const longChat = {
  model: tinyModels.chat,
  messages: [{ role: 'user', content: 'tell me a long story [[sim:tokens=100000]]' }],
  options: { num_predict: 100_000, stop: ['never-said'] },
};

interface Open {
  req: ClientRequest;
  headersAt: Promise<number>;
  firstByteAt: Promise<number>;
}

function open(t: Target, path: string, body: unknown): Open {
  let onHeaders!: (ms: number) => void;
  let onByte!: (ms: number) => void;
  const headersAt = new Promise<number>((r) => (onHeaders = r));
  const firstByteAt = new Promise<number>((r) => (onByte = r));
  const req = request(t.url + path, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
    onHeaders(performance.now());
    res.once('data', () => onByte(performance.now()));
    res.on('data', () => undefined);
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end(JSON.stringify(body));
  return { req, headersAt, firstByteAt };
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

async function warm(t: Target, model: string = tinyModels.chat): Promise<void> {
  const r = await send(t.url, '/api/generate', { body: { model } });
  if (r.status !== 200) throw new Error(`warm ${model} on ${t.kind}: ${r.status} ${r.body}`);
}

type Loaded = Array<{ name: string; expires_at: string }>;
const loaded = async (t: Target): Promise<Loaded> => (JSON.parse((await send(t.url, '/api/ps')).body) as { models: Loaded }).models;

/**
 * The first model's expiry once it satisfies `settled`, polled for up to 3 s. Real Ollama applies
 * a request's keep_alive when its scheduler counts the request finished, a moment after the
 * answer was sent, so /api/ps read at once can still show the previous expiry.
 */
async function settledExpiry(t: Target, settled: (expiresMs: number) => boolean): Promise<{ expires: number; askedAt: number } | undefined> {
  for (let i = 0; i < 60; i++) {
    const askedAt = Date.now();
    const first = (await loaded(t))[0];
    if (first && settled(new Date(first.expires_at).getTime())) return { expires: new Date(first.expires_at).getTime(), askedAt };
    await new Promise((res) => setTimeout(res, 50));
  }
  return undefined;
}

describeOllama('conformance: scheduling (real Ollama vs simulator)', () => {
  describe('one slot', () => {
    const pair: Pair = bothEngines({ numParallel: 1 });

    it('a request beyond the slots gets no headers until the slot frees; leaving frees it at once', async () => {
      const r = await observe(pair, async (t) => {
        await warm(t);
        const a = open(t, '/api/chat', longChat);
        await a.firstByteAt;
        const b = open(t, '/api/chat', { ...longChat, options: { ...longChat.options, num_predict: 3 } });
        const early = await within(b.headersAt, 1500);
        a.req.destroy();
        // Real Ollama frees the slot within milliseconds; the bound only has to survive a loaded CI machine.
        const headers = await within(b.headersAt, 15_000);
        b.req.destroy();
        return { headersWhileSlotBusy: early !== 'timeout', headersAfterSlotFreed: headers !== 'timeout' };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama).toEqual({ headersWhileSlotBusy: false, headersAfterSlotFreed: true });
    });

    it('keep_alive: a short one drops the model from /api/ps; a negative one keeps it (expires_at far ahead)', async () => {
      const r = await observe(pair, async (t) => {
        const farAhead = (ms: number) => new Date(ms).getUTCFullYear() > new Date().getUTCFullYear() + 10;
        await send(t.url, '/api/generate', { body: { model: tinyModels.chat, keep_alive: -1 } });
        const forever = await settledExpiry(t, (expires) => farAhead(expires));
        await send(t.url, '/api/generate', { body: { model: tinyModels.chat, keep_alive: '1s' } });
        const soon = await settledExpiry(t, (expires) => !farAhead(expires));
        // Measured from when /api/ps was asked: on a loaded machine its answer can take long
        // enough to use up the whole second by the time it is read.
        const left = soon ? soon.expires - soon.askedAt : NaN;
        let gone = false;
        for (let i = 0; i < 60 && !gone; i++) {
          await new Promise((res) => setTimeout(res, 100));
          gone = (await loaded(t)).length === 0;
        }
        return { foreverYear: forever !== undefined, expiresInAboutOneSecond: left > 0 && left <= 1500, goneWithinSixSeconds: gone };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama).toEqual({ foreverYear: true, expiresInAboutOneSecond: true, goneWithinSixSeconds: true });
    });
  });

  describe('OLLAMA_MAX_QUEUE=1', () => {
    const pair: Pair = bothEngines({ numParallel: 1, maxQueue: 1 });

    it('counts only requests waiting for a model load: 503 with Ollama\'s text then; a loaded model queues without limit', async () => {
      const r = await observe(pair, async (t) => {
        const burst = async () => {
          const all = await Promise.all(Array.from({ length: 8 }, () => send(t.url, '/api/generate', { body: { model: tinyModels.chat, prompt: 'hi', options: { num_predict: 2 } } })));
          return all;
        };
        const cold = await burst();
        const busy = cold.filter((x) => x.status === 503);
        const warmBurst = await burst();
        return {
          coldStatuses: [...new Set(cold.map((x) => x.status))].sort(),
          busyBody: [...new Set(busy.map((x) => x.body))],
          warmStatuses: [...new Set(warmBurst.map((x) => x.status))],
        };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama.coldStatuses).toEqual([200, 503]);
      expect(r.ollama.warmStatuses).toEqual([200]);
    });
  });

  describe('token-repeat abort', () => {
    const pair: Pair = bothEngines({ numParallel: 2 });
    // The real tiny-repeat model says one word every step by its weights; the simulator is told by header.
    const repeat = { 'x-sim-fault': 'repeat' };
    const body = { model: tinyModels.repeat, messages: [{ role: 'user', content: 'hi' }], options: { num_predict: 200 } };

    it('native stream: a 200 that ends with no done:true; stream:false answers done:false', async () => {
      const r = await observe(pair, async (t) => {
        const s = await send(t.url, '/api/chat', { body, headers: repeat });
        const lines = ndjson(s.body);
        const w = await send(t.url, '/api/chat', { body: { ...body, stream: false }, headers: repeat });
        const whole = JSON.parse(w.body) as Record<string, unknown>;
        return {
          stream: { status: s.status, tokens: lines.length, anyDone: lines.some((l) => l.done === true), anyError: lines.some((l) => 'error' in l) },
          whole: { status: w.status, keys: Object.keys(whole), done: whole.done },
        };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama.stream).toEqual({ status: 200, tokens: 31, anyDone: false, anyError: false });
      expect(r.ollama.whole.done).toBe(false);
    });

    it('/v1 stream: no finish_reason, no usage, no [DONE]; whole: finish_reason null and zero usage', async () => {
      const r = await observe(pair, async (t) => {
        const v1 = { model: tinyModels.repeat, messages: body.messages, max_tokens: 200 };
        const s = await send(t.url, '/v1/chat/completions', { body: { ...v1, stream: true, stream_options: { include_usage: true } }, headers: repeat });
        const events = sseData(s.body);
        const chunks = events.filter((e): e is Record<string, unknown> => e !== '[DONE]');
        const w = await send(t.url, '/v1/chat/completions', { body: v1, headers: repeat });
        const whole = JSON.parse(w.body) as { choices: Array<{ finish_reason: unknown }>; usage: unknown };
        return {
          stream: {
            status: s.status,
            done: events.includes('[DONE]'),
            finish: chunks.some((c) => (c.choices as Array<{ finish_reason: unknown }>).some((ch) => ch.finish_reason !== null)),
            usage: chunks.some((c) => c.usage !== undefined),
          },
          whole: { status: w.status, finish: whole.choices[0]!.finish_reason, usage: whole.usage },
        };
      });
      expect(r.sim).toEqual(r.ollama);
      expect(r.ollama.stream).toEqual({ status: 200, done: false, finish: false, usage: false });
    });
  });
});
