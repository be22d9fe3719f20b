/**
 * What the edge itself must answer when the origin fails, on both runtimes: errors before the
 * first byte as OpenAI JSON with the right status, failures after it as one final `event: error`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatJson, jsonInit } from '../helpers/request.ts';
import { parseSse } from '../helpers/sse.ts';
import { startFaultOrigin, type FaultOrigin } from './harness/fault-origin.ts';
import { startEdge, type EdgeOnly, type Runtime } from './harness/stack.ts';

const BODY = chatJson('hi', { stream: true });

export function failuresSuite(runtime: Runtime): void {
  describe(`edge-made errors on ${runtime}`, () => {
    let origin: FaultOrigin;
    let s: EdgeOnly;
    const post = (fault: string) =>
      s.fetch('/v1/chat/completions', jsonInit(BODY, { headers: { authorization: `Bearer ${s.keys.open}`, 'x-fault': fault } }));

    beforeAll(async () => {
      origin = await startFaultOrigin();
      s = await startEdge(runtime, origin.url, { FIRST_BYTE_TIMEOUT_MS: '800', BETWEEN_BYTES_TIMEOUT_MS: '600', CONNECT_TIMEOUT_MS: '500' });
    });
    afterAll(async () => {
      await s?.close();
      await origin?.close();
    });

    it('forwards signed headers and strips internal/hop-by-hop headers from the answer', async () => {
      const res = await s.fetch('/v1/models', {
        headers: { authorization: `Bearer ${s.keys.open}`, 'x-puerta-tenant': 'spoofed', 'x-api-key': 'also-dropped' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-puerta-leak')).toBeNull();
      expect(res.headers.get('keep-alive')).toBeNull();
      const seen = (await res.json()) as { headers: Record<string, string> };
      expect(seen.headers['x-puerta-tenant']).toBe('open-co');
      expect(seen.headers['x-puerta-signature']).toMatch(/^v1=/);
      expect(seen.headers['x-puerta-client-country']).toBe('DE');
      expect(seen.headers['authorization']).toBeUndefined();
      expect(seen.headers['x-api-key']).toBeUndefined();
      expect(seen.headers['x-request-id']).toBe(res.headers.get('x-request-id'));
    });

    it('a Gemini key, given as ?key= or x-goog-api-key, stops at the edge: neither signed nor sent', async () => {
      const path = '/v1beta/models/gpt-oss:20b:generateContent';
      const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
      const inQuery = await s.fetch(`${path}?alt=sse&key=${s.keys.open}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(inQuery.status).toBe(200);
      const q = (await inQuery.json()) as { url: string; headers: Record<string, string> };
      expect(q.url).toBe(`${path}?alt=sse`);
      expect(q.headers['x-puerta-tenant']).toBe('open-co');
      const inHeader = await s.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': s.keys.open }, body });
      const h = (await inHeader.json()) as { url: string; headers: Record<string, string> };
      expect(h.headers['x-goog-api-key']).toBeUndefined();
      expect(h.headers['x-puerta-tenant']).toBe('open-co');
      // Only the Gemini routes read a key from the URL: elsewhere `?key=` is not a credential.
      const elsewhere = await s.fetch(`/v1/models?key=${s.keys.open}`);
      expect(elsewhere.status).toBe(401);
    });

    it('ends a stream the origin cut with one event: error', async () => {
      const res = await post('cut');
      expect(res.status).toBe(200);
      const events = parseSse(await res.text());
      expect(events[0]!.data).toContain('"hi"');
      const last = events[events.length - 1]!;
      expect(last.event).toBe('error');
      expect(JSON.parse(last.data!)).toMatchObject({ error: { code: 'origin_stream_interrupted', retryable: true } });
    });

    it('ends a Gemini stream the origin cut with Google’s error object in one data: frame', async () => {
      const res = await s.fetch('/v1beta/models/m:streamGenerateContent?alt=sse', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': s.keys.open, 'x-fault': 'cut' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      });
      const events = parseSse(await res.text());
      const last = events[events.length - 1]!;
      // Google's SDKs read only `data:` frames: an `event:` name would make them skip it.
      expect(last.event ?? 'message').toBe('message');
      expect(JSON.parse(last.data!)).toMatchObject({ error: { code: 502, status: 'INTERNAL' } });
    });

    it('ends a stream the origin left silent past the between-bytes limit with event: error', async () => {
      const t0 = Date.now();
      const res = await post('silent');
      const events = parseSse(await res.text());
      const last = events[events.length - 1]!;
      expect(last.event).toBe('error');
      expect(JSON.parse(last.data!)).toMatchObject({ error: { retryable: true } });
      expect(Date.now() - t0).toBeLessThan(5_000);
    });

    it('adds no error frame after a stream that already ended ([DONE] or the origin event: error), whatever happens next', async () => {
      for (const fault of ['done-cut', 'done-idle']) {
        const events = parseSse(await (await post(fault)).text());
        expect(events.map((e) => e.event ?? 'message'), fault).toEqual(['message', 'message']);
        expect(events[events.length - 1]!.data, fault).toBe('[DONE]');
      }
      const events = parseSse(await (await post('error-cut')).text());
      expect(events.filter((e) => e.event === 'error')).toHaveLength(1);
      expect(JSON.parse(events[events.length - 1]!.data!)).toMatchObject({ error: { message: 'engine failed' } });
    });

    it('relays a terminal frame split across origin writes, or followed by nothing, as it is', async () => {
      const first = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n';
      for (const fault of ['done-split', 'done-end']) expect(await (await post(fault)).text(), fault).toBe(first + 'data: [DONE]\n\n');
    });

    it('judges a very long last chunk by its end: a 40 KiB frame and [DONE] need no error frame', async () => {
      const events = parseSse(await (await post('long-done')).text());
      expect(events.map((e) => e.event ?? 'message')).toEqual(['message', 'message', 'message']);
      expect(events[1]!.data!.length).toBeGreaterThan(40 * 1024);
      expect(events[2]!.data).toBe('[DONE]');
    });

    it('sees a Responses response.completed longer than the tail it keeps, and adds nothing after it', async () => {
      const res = await s.fetch('/v1/responses', jsonInit({ model: 'm', stream: true, input: 'hi' }, { headers: { authorization: `Bearer ${s.keys.open}`, 'x-fault': 'long-completed' } }));
      const events = parseSse(await res.text());
      expect(events.map((e) => e.event)).toEqual(['response.created', 'response.completed']);
    });

    it('measures the between-bytes limit per gap: a slow trickle passes, the silence after it ends the stream', async () => {
      const t0 = Date.now();
      const events = parseSse(await (await post('trickle-silent')).text());
      const elapsed = Date.now() - t0;
      expect(events).toHaveLength(8);
      expect(events.slice(0, 7).map((e) => e.event ?? 'message')).toEqual(Array(7).fill('message'));
      expect(events[7]!.event).toBe('error');
      expect(JSON.parse(events[7]!.data!)).toMatchObject({ error: { retryable: true } });
      // Six gaps of 250 ms passed under the 600 ms limit; then the limit itself.
      expect(elapsed).toBeGreaterThanOrEqual(1_500 + 600 - 50);
      expect(elapsed).toBeLessThan(8_000);
    });

    it('closes the origin connection when the client goes away mid-stream', async () => {
      const before = origin.endlessClosed();
      const res = await post('endless');
      const reader = res.body!.getReader();
      let seen = '';
      while (!seen.includes('more')) seen += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      const deadline = Date.now() + 5_000;
      while (origin.endlessClosed() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(origin.endlessClosed()).toBe(before + 1);
    });

    it('completes an origin error frame cut off mid-data with its own, on a new frame boundary', async () => {
      const text = await (await post('error-partial')).text();
      expect(text).toContain('engine fa\n\nevent: error\ndata: ');
      expect(text.endsWith('\n\n')).toBe(true);
      const last = parseSse(text).pop()!;
      expect(last.event).toBe('error');
      expect(JSON.parse(last.data!)).toMatchObject({ error: { code: 'origin_stream_interrupted', retryable: true } });
    });

    it('answers 504 when the origin sends no headers within the first-byte limit', async () => {
      const res = await post('no-head');
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ error: { type: 'server_error', code: 'upstream_timeout' } });
    });

    it('answers 503 with Retry-After when the origin connection fails', async () => {
      const res = await post('reset');
      expect([502, 503]).toContain(res.status);
      const body = (await res.json()) as { error: { type: string } };
      expect(body.error.type).toBe('server_error');
    });
  });
}
