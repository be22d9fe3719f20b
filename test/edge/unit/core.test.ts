import { describe, expect, it } from 'vitest';
import { extractKey, withoutKeyParam } from '../../../shared/api-key.ts';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { clientResponseHeaders, originRequestHeaders } from '../../../edge/forward/headers.ts';
import { rateLimitHeaders } from '../../../edge/limits/limiter.ts';
import { formatResetMs } from '../../../shared/rate-limit-reset.ts';
import { MemoryRateLimiter } from '../../../edge/limits/memory.ts';
import { clientCountry, isLoopback } from '../../../edge/residency/policy.ts';
import { filterModelList, modelAllowed } from '../../../shared/model-allow-list.ts';

describe('edge config', () => {
  it('parses strings with defaults and names the key, value and rule on errors', () => {
    const c = parseEdgeConfig({ ORIGIN_URL: 'http://127.0.0.1:1', CORS_ALLOWED_ORIGINS: 'https://a.eu, https://b.eu' });
    expect(c.CORS_ALLOWED_ORIGINS).toEqual(['https://a.eu', 'https://b.eu']);
    expect(c.BETWEEN_BYTES_TIMEOUT_MS).toBe(45_000);
    expect(() => parseEdgeConfig({ ORIGIN_URL: 'ftp://x' })).toThrow(/ORIGIN_URL="ftp:\/\/x": an http\(s\) URL/);
    expect(() => parseEdgeConfig({ ORIGIN_URL: 'http://x', FIRST_BYTE_TIMEOUT_MS: 'soon' })).toThrow(/FIRST_BYTE_TIMEOUT_MS="soon"/);
    expect(() => parseEdgeConfig({})).toThrow(/set ORIGIN_URL/);
  });
});

describe('key extraction (shared by the edge and the origin)', () => {
  const req = (headers: Record<string, string>, path = '/v1/chat/completions', query = '', method = 'POST') => extractKey({ method, url: `http://h${path}${query}`, headers: new Headers(headers) }, path);
  it('reads Bearer, x-api-key, x-goog-api-key and Basic (key as password)', () => {
    expect(req({ authorization: 'Bearer pk_a' })).toBe('pk_a');
    expect(req({ 'x-api-key': 'pk_b' })).toBe('pk_b');
    expect(req({ authorization: 'Basic ' + btoa('user:pk_c') })).toBe('pk_c');
    expect(req({ 'x-goog-api-key': 'pk_d' })).toBe('pk_d');
    expect(req({})).toBeNull();
  });
  it('reads ?key= only on the routes that name it (Gemini), and the edge strips it there', () => {
    const gen = '/v1beta/models/gpt-oss:20b:streamGenerateContent';
    expect(req({}, gen, '?alt=sse&key=pk_q')).toBe('pk_q');
    expect(req({}, '/v1beta/models', '?key=pk_q', 'GET')).toBe('pk_q');
    expect(req({ 'x-goog-api-key': 'pk_h' }, gen, '?key=pk_q')).toBe('pk_h');
    expect(req({}, '/v1/chat/completions', '?key=pk_q')).toBeNull();
    expect(withoutKeyParam('POST', gen, '?alt=sse&key=pk_q')).toBe('?alt=sse');
    expect(withoutKeyParam('GET', '/v1beta/models', '?key=pk_q')).toBe('');
    expect(withoutKeyParam('POST', '/v1/chat/completions', '?key=x')).toBe('?key=x');
  });
});

describe('header hygiene', () => {
  it('drops hop-by-hop, credentials and client-sent x-puerta-* on the way in', () => {
    const h = originRequestHeaders(
      new Headers({
        authorization: 'Bearer pk',
        connection: 'keep-alive, x-custom-hop',
        'x-custom-hop': '1',
        'x-puerta-tenant': 'spoofed',
        'keep-alive': 'timeout=5',
        'content-type': 'application/json',
        'accept-encoding': 'gzip',
      }),
      'req_12345678',
      { 'x-puerta-tenant': 'real' },
    );
    expect(h.get('authorization')).toBeNull();
    expect(h.get('x-custom-hop')).toBeNull();
    expect(h.get('keep-alive')).toBeNull();
    expect(h.get('x-puerta-tenant')).toBe('real');
    expect(h.get('accept-encoding')).toBe('identity');
    expect(h.get('x-request-id')).toBe('req_12345678');
    expect(h.get('content-type')).toBe('application/json');
  });

  it('drops hop-by-hop and x-puerta-* on the way out', () => {
    const h = clientResponseHeaders(new Headers({ 'x-puerta-internal': '1', 'transfer-encoding': 'chunked', 'content-type': 'text/event-stream' }), 'req_abcdefgh');
    expect([...h.keys()].sort()).toEqual(['content-type', 'x-request-id']);
  });
});

describe('limits', () => {
  it('counts a fixed window per key and reports OpenAI-style headers', async () => {
    let now = 60_000 * 1000;
    const l = new MemoryRateLimiter(() => now);
    const rule = { requests: 2, windowSeconds: 60 as const };
    expect((await l.hit('t', rule)).remaining).toBe(1);
    expect((await l.hit('t', rule)).allowed).toBe(true);
    const denied = await l.hit('t', rule);
    expect(denied).toMatchObject({ allowed: false, remaining: 0, limit: 2 });
    expect(rateLimitHeaders(denied)).toEqual({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1m0s',
    });
    expect((await l.hit('other', rule)).allowed).toBe(true);
    now += 60_000;
    expect((await l.hit('t', rule)).allowed).toBe(true);
    // One formatter, in milliseconds, for edge and origin; rounded up, never early.
    expect(formatResetMs(0)).toBe('0s');
    expect(formatResetMs(20)).toBe('20ms');
    expect(formatResetMs(1_450)).toBe('1.5s');
    expect(formatResetMs(59_950)).toBe('1m0s');
    expect(formatResetMs(75_000)).toBe('1m15s');
    expect(formatResetMs(119_600)).toBe('2m0s');
  });
});

describe('residency location', () => {
  it('uses DEFAULT_COUNTRY only for an unlocated loopback client', () => {
    for (const a of ['127.0.0.1', '127.0.0.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['192.0.2.2', '203.0.113.9', '::ffff:10.0.0.1', '2001:db8::1', undefined]) expect(isLoopback(a), String(a)).toBe(false);
    expect(clientCountry('AT', '203.0.113.9', 'DE')).toBe('AT');
    expect(clientCountry(undefined, '127.0.0.1', 'DE')).toBe('DE');
    expect(clientCountry(undefined, '203.0.113.9', 'DE')).toBeUndefined();
    expect(clientCountry(undefined, undefined, 'DE')).toBeUndefined();
  });
});

describe('model allow-list', () => {
  it('matches Ollama names with and without the :latest tag, and filters the model lists', () => {
    expect(modelAllowed([], 'anything')).toBe(true);
    expect(modelAllowed(['nomic-embed-text'], 'nomic-embed-text:latest')).toBe(true);
    expect(modelAllowed(['llama3.2:latest'], 'llama3.2')).toBe(true);
    expect(modelAllowed(['llama3.2:3b'], 'llama3.2')).toBe(false);
    expect(modelAllowed(['llama3.2:3b'], 'gpt-oss:20b')).toBe(false);
    const allowed = ['llama3.2:3b'];
    expect(filterModelList('/v1/models', { object: 'list', data: [{ id: 'llama3.2:3b' }, { id: 'gpt-oss:20b' }] }, allowed)).toEqual({ object: 'list', data: [{ id: 'llama3.2:3b' }] });
    expect(filterModelList('/api/tags', { models: [{ name: 'gpt-oss:20b' }, { name: 'llama3.2:3b', size: 1 }] }, allowed)).toEqual({ models: [{ name: 'llama3.2:3b', size: 1 }] });
    expect(filterModelList('/api/ps', { error: 'x' }, allowed)).toBeNull();
  });
});
