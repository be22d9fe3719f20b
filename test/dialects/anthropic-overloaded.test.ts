/**
 * Queue full on an Anthropic route: before the first byte a 529 overloaded_error with
 * Retry-After (what Anthropic's clients retry on); once a stream is committed by keepalives
 * (Anthropic's own `event: ping`), an `event: error` of type overloaded_error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { chat, origin } from '../quota/helpers.ts';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.02, preloaded: ['llama3.2:3b'] });
});
afterAll(async () => sim?.close());

const messages = (url: string, stream: boolean) =>
  fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'llama3.2:3b', max_tokens: 16, stream, messages: [{ role: 'user', content: 'hi [[sim:tokens=3]]' }] }),
  });

describe('Anthropic Messages when the engine queue is full', () => {
  it('before the first byte: 529 overloaded_error with Retry-After', async () => {
    const o = await origin(sim.url, { admission: { defaultSlots: 1, queueWaitMs: 200 }, stream: { keepaliveMs: 10_000 } });
    const ctl = new AbortController();
    try {
      const long = await chat(o.url, { stream: true, tokens: 50_000, signal: ctl.signal });
      expect(long.status).toBe(200);
      const r = await messages(o.url, false);
      expect(r.status).toBe(529);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await r.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    } finally {
      ctl.abort();
      await o.close();
    }
  });

  it('after keepalive pings committed the stream: event: error of type overloaded_error', async () => {
    const o = await origin(sim.url, { admission: { defaultSlots: 1, queueWaitMs: 400 }, stream: { keepaliveMs: 100 } });
    const ctl = new AbortController();
    try {
      const long = await chat(o.url, { stream: true, tokens: 50_000, signal: ctl.signal });
      expect(long.status).toBe(200);
      const r = await messages(o.url, true);
      expect(r.status).toBe(200);
      const text = await r.text();
      // Queued: the ping says where the request stands.
      expect(text).toMatch(/^event: ping\ndata: \{"type":"ping","queue":\{"position":1,"estimated_wait_ms":\d+\}\}\n\n/);
      const last = text.trimEnd().split('\n\n').at(-1)!;
      expect(last).toMatch(/^event: error\n/);
      expect(JSON.parse(last.split('data: ')[1]!)).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    } finally {
      ctl.abort();
      await o.close();
    }
  });
});
