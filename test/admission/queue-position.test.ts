import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdmissionController } from '../../origin/admission/controller.ts';
import type { RunningOrigin } from '../../origin/node/server.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { TEST_MODEL } from '../helpers/request.ts';
import { origin } from '../quota/helpers.ts';

/**
 * Two slots held by streams of a known length; one waiting client per streaming dialect, queued in
 * a known order. Each keepalive it gets while queued carries its position and an estimated wait
 * (SSE comment, Anthropic ping, Ollama empty chunk), checked against when its answer really began:
 * every streaming route (OpenAI chat, completions, Responses; Anthropic Messages; Ollama chat and
 * generate).
 */

const SLOTS = 2;
// llama3.2:3b decodes 110 tok/s; at timeScale 0.1 this many tokens hold a slot about 1.5 s.
const TOKENS = 1_650;
const HOLD_MS = (TOKENS / 110) * 1000 * 0.1;

let sim: Simulator;
let o: RunningOrigin;
beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.1, preloaded: [TEST_MODEL] });
  o = await origin(sim.url, { admission: { slots: { [TEST_MODEL]: SLOTS }, queueWaitMs: 60_000 }, stream: { keepaliveMs: 150 } });
});
afterAll(async () => {
  await o?.close();
  await sim?.close();
});

interface Seen {
  /** Every queued keepalive: when it came, the position and estimate it carried. */
  queued: Array<{ at: number; position: number; estimatedWaitMs: number }>;
  /** When the first frame that is not a keepalive came (the request was admitted). */
  admittedAt?: number;
  done: boolean;
}

const prompt = `Tell a long story. [[sim:tokens=${TOKENS}]]`;
// Every waiter in one class (completions and generate default to batch), so the queue is in arrival order.
const post = (path: string, body: unknown) => fetch(`${o.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-priority': 'interactive' }, body: JSON.stringify(body) });

const dialects = {
  'OpenAI chat': () => post('/v1/chat/completions', { model: TEST_MODEL, stream: true, messages: [{ role: 'user', content: prompt }] }),
  'Anthropic Messages': () => post('/v1/messages', { model: TEST_MODEL, stream: true, max_tokens: TOKENS + 10, messages: [{ role: 'user', content: prompt }] }),
  'OpenAI Responses': () => post('/v1/responses', { model: TEST_MODEL, stream: true, input: prompt }),
  'Ollama native': () => post('/api/chat', { model: TEST_MODEL, stream: true, messages: [{ role: 'user', content: prompt }] }),
  'OpenAI completions': () => post('/v1/completions', { model: TEST_MODEL, stream: true, max_tokens: TOKENS + 10, prompt }),
  'Ollama generate': () => post('/api/generate', { model: TEST_MODEL, stream: true, prompt }),
};

/** `: queued position=3 estimated_wait_ms=4200`, `"queue":{"position":3,"estimated_wait_ms":4200}` */
const QUEUED = /position[=":]+(\d+)\D+?estimated_wait_ms[=":]+(\d+)/;

/** Reads a stream to its end, noting its queued keepalives and when its first real frame came. */
async function watch(res: Response, seen: Seen): Promise<void> {
  expect(res.status).toBe(200);
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const at = Date.now();
    buf += decoder.decode(chunk, { stream: true });
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const line of lines) {
      if (line === '' || line.startsWith('event:')) continue;
      const q = QUEUED.exec(line);
      if (q) {
        expect(seen.admittedAt).toBeUndefined();
        seen.queued.push({ at, position: Number(q[1]), estimatedWaitMs: Number(q[2]) });
      } else if (line !== ': keepalive' && !line.includes('"type":"ping"')) seen.admittedAt ??= at;
    }
  }
  seen.done = true;
}

const gate = () => (o.deps.admission as AdmissionController).snapshot().find((g) => g.model === TEST_MODEL);
const hold = () => post('/v1/chat/completions', { model: TEST_MODEL, stream: true, messages: [{ role: 'user', content: prompt }] }).then((r) => r.text());

describe('the queue, told to the client', () => {
  it('each waiting client of every streaming dialect sees its position and an estimate within 2x of its real wait', async () => {
    // The gate learns how long a slot is held from these.
    await Promise.all(Array.from({ length: SLOTS }, hold));
    expect(gate()!.queued).toBe(0);

    const holders = Array.from({ length: SLOTS }, hold);
    await expect.poll(() => gate()?.active).toBe(SLOTS);
    const waiting: Array<{ name: string; seen: Seen; done: Promise<void> }> = [];
    for (const [name, send] of Object.entries(dialects)) {
      const seen: Seen = { queued: [], done: false };
      waiting.push({ name, seen, done: send().then((r) => watch(r, seen)) });
      // Queued one after the other, so each one's place is known.
      await expect.poll(() => gate()?.queued).toBe(waiting.length);
    }
    await Promise.all([...holders, ...waiting.map((w) => w.done)]);

    waiting.forEach(({ name, seen }, i) => {
      const want = i + 1;
      expect(seen.queued.length, name).toBeGreaterThan(0);
      expect(seen.admittedAt, name).toBeDefined();
      // Its first keepalive: its place in arrival order (one tenant, one class).
      expect(seen.queued[0]!.position, name).toBe(want);
      // It only moves forward, and the estimate with it.
      for (let k = 1; k < seen.queued.length; k++) expect(seen.queued[k]!.position, name).toBeLessThanOrEqual(seen.queued[k - 1]!.position);
      // Behind SLOTS others it waits a second turn: the client is told so.
      expect(seen.queued[0]!.estimatedWaitMs, name).toBeGreaterThanOrEqual(Math.ceil(want / SLOTS) * HOLD_MS * 0.5);
      for (const q of seen.queued) {
        const real = seen.admittedAt! - q.at;
        expect(q.estimatedWaitMs, `${name} at position ${q.position}: estimated ${q.estimatedWaitMs} ms, waited ${real} ms`).toBeLessThanOrEqual(Math.max(2 * real, 300));
        expect(q.estimatedWaitMs, `${name} at position ${q.position}: estimated ${q.estimatedWaitMs} ms, waited ${real} ms`).toBeGreaterThanOrEqual(real / 2 - 300);
      }
    });
    // The ones behind a second turn saw themselves move up to the front.
    for (const { name, seen } of waiting.slice(SLOTS)) expect(seen.queued.at(-1)!.position, name).toBeLessThanOrEqual(SLOTS);
  });

  it('the official SDKs skip the queued keepalives: Anthropic ping with a queue field, Ollama empty chunk', async () => {
    const holders = Array.from({ length: SLOTS }, hold);
    await expect.poll(() => gate()?.active).toBe(SLOTS);
    const anthropic = new Anthropic({ baseURL: o.url, apiKey: 'unused', maxRetries: 0 });
    const ollama = new Ollama({ host: o.url });
    const short = 'Say hi. [[sim:tokens=5]]';
    const messages = anthropic.messages.stream({ model: TEST_MODEL, max_tokens: 50, messages: [{ role: 'user', content: short }] }).finalMessage();
    await expect.poll(() => gate()?.queued).toBe(1);
    const native = (async () => {
      let text = '';
      for await (const part of await ollama.chat({ model: TEST_MODEL, stream: true, messages: [{ role: 'user', content: short }] })) text += part.message.content;
      return text;
    })();
    await expect.poll(() => gate()?.queued).toBe(2);
    const [m, text] = await Promise.all([messages, native, ...holders]);
    expect(m.stop_reason).toBe('end_turn');
    expect((m.content[0] as Anthropic.TextBlock).text.split(' ').length).toBeGreaterThan(0);
    expect(text.length).toBeGreaterThan(0);
  });
});
