import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, putTenant, setKeyStatus, writeTenantsFile } from '../../../edge/cli/tenants-file.ts';
import { createEdgeSignatureMiddleware } from '../../../origin/auth/edge-signature.ts';
import { bodyLimit } from '../../../origin/http/body-limit.ts';
import { errorHandler } from '../../../origin/http/error-handler.ts';
import type { OriginEnv } from '../../../origin/core/env.ts';
import { bodyDigest, importSigningKey, newNonce, signedHeaders } from '../../../shared/signing.ts';
import type { TenantsFile } from '../../../shared/tenants.ts';
import { startOriginStack, type OriginStack } from '../../../sre/bench/lib/origin-stack.ts';
import { chatJson, postJson } from '../../helpers/request.ts';

const SECRET = 's'.repeat(64);

describe('origin auth.mode=edge', () => {
  let now = 1_800_000_000_000;
  const app = new Hono<OriginEnv>();
  app.onError(errorHandler);
  app.use('*', async (c, next) => {
    c.set('requestId', c.req.header('x-request-id') ?? 'req_test');
    await next();
  });
  app.use('*', createEdgeSignatureMiddleware({ secret: `${'n'.repeat(40)},${SECRET}`, maxSkewMs: 60_000, now: () => now }));
  app.post('/v1/echo', async (c) => c.json({ tenant: c.get('tenant'), body: await c.req.text() }));

  async function signed(body: string, over: { timestamp?: number; path?: string } = {}) {
    const bytes = new TextEncoder().encode(body);
    const headers = await signedHeaders(await importSigningKey(SECRET), {
      method: 'POST',
      path: over.path ?? '/v1/echo',
      timestamp: over.timestamp ?? now,
      nonce: newNonce(),
      tenant: 'acme',
      requestId: 'req_edge_0001',
      bodyDigest: await bodyDigest(bytes),
      country: 'DE',
      pop: 'FRA',
    });
    return { ...headers, 'x-request-id': 'req_edge_0001', 'content-type': 'application/json' };
  }
  const send = (headers: Record<string, string>, body: string) =>
    app.request('/v1/echo', { method: 'POST', headers, body });

  it('accepts a signed request (old secret still listed while rotating) and sets the tenant', async () => {
    const res = await send(await signed('{"a":1}'), '{"a":1}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ tenant: { id: 'acme', via: 'edge', country: 'DE', pop: 'FRA' }, body: '{"a":1}' });
  });

  it('refuses a replay of the same signed request', async () => {
    const h = await signed('{"a":2}');
    expect((await send(h, '{"a":2}')).status).toBe(200);
    const again = await send(h, '{"a":2}');
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ error: { type: 'authentication_error', code: 'edge_signature_replayed' } });
  });

  it('signs the query with the path: the signed query is accepted, a changed, added or dropped one refused', async () => {
    const at = (url: string, headers: Record<string, string>) => app.request(url, { method: 'POST', headers, body: '{}' });
    expect((await at('/v1/echo?x=1&y=%20', await signed('{}', { path: '/v1/echo?x=1&y=%20' }))).status).toBe(200);
    expect((await at('/v1/echo?x=2', await signed('{}', { path: '/v1/echo?x=1' }))).status).toBe(401);
    expect((await at('/v1/echo?x=1', await signed('{}'))).status).toBe(401);
    expect((await at('/v1/echo', await signed('{}', { path: '/v1/echo?x=1' }))).status).toBe(401);
  });

  it('refuses a timestamp outside the skew window', async () => {
    const res = await send(await signed('{}', { timestamp: now - 61_000 }), '{}');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'edge_signature_expired' } });
  });

  it('refuses a changed body, path or tenant', async () => {
    expect((await send(await signed('{"a":3}'), '{"a":4}')).status).toBe(401);
    const h = await signed('{}', { path: '/v1/other' });
    expect((await send(h, '{}')).status).toBe(401);
    const t = await signed('{}');
    expect((await send({ ...t, 'x-puerta-tenant': 'evil' }, '{}')).status).toBe(401);
  });

  it('with the body limit after it: a signed body is read once and still reaches the route; one past the limit is a 413', async () => {
    const limited = new Hono<OriginEnv>();
    limited.onError(errorHandler);
    limited.use('*', async (c, next) => {
      c.set('requestId', 'req_test');
      await next();
    });
    limited.use('*', createEdgeSignatureMiddleware({ secret: SECRET, maxSkewMs: 60_000, now: () => now, maxBodyBytes: 16 }));
    limited.use('*', bodyLimit(16));
    limited.post('/v1/echo', async (c) => c.json({ body: await c.req.text() }));
    // app.request sends no Content-Length: the limit cannot be judged from a header here.
    const ok = await limited.request('/v1/echo', { method: 'POST', headers: await signed('{"a":1}'), body: '{"a":1}' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ body: '{"a":1}' });
    const big = '{"a":"' + 'x'.repeat(32) + '"}';
    const tooLarge = await limited.request('/v1/echo', { method: 'POST', headers: await signed(big), body: big });
    expect(tooLarge.status).toBe(413);
  });

  it('refuses unsigned requests with a message that says why', async () => {
    const res = await app.request('/v1/echo', { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('missing_edge_signature');
    expect(body.error.message).toMatch(/signed by the Puerta edge/);
  });
});

describe('origin auth.mode=keys (no edge): the same hashed tenants file', () => {
  let stack: OriginStack;
  let key: string;
  let keyId: string;
  let file: string;
  let narrowKey: string;
  const data: TenantsFile = {};

  beforeAll(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'puerta-keys-')), 'tenants.json');
    putTenant(data, { id: 'direct-co' });
    const k = await addKey(data, 'direct-co');
    key = k.key;
    keyId = k.record.id;
    putTenant(data, { id: 'narrow-co', models: ['llama3.2:3b', 'nomic-embed-text'] });
    narrowKey = (await addKey(data, 'narrow-co')).key;
    writeTenantsFile(file, data);
    stack = await startOriginStack({ origin: { auth: { mode: 'keys', tenantsFile: file } } });
  });
  afterAll(() => stack?.close());

  it("enforces the tenant's model allow-list itself: 404 in each dialect, and filtered model lists", async () => {
    const h = { authorization: `Bearer ${narrowKey}`, 'content-type': 'application/json' };
    const chat = (model: string) => chatJson('hi [[sim:tokens=2]]', { model, stream: false });
    const v1 = await postJson(`${stack.origin.url}/v1/chat/completions`, chat('gpt-oss:20b'), { headers: h });
    expect(v1.status).toBe(404);
    expect(await v1.json()).toMatchObject({ error: { type: 'not_found_error', code: 'model_not_found', param: 'model' } });
    // The content-type is not what decides: the routes parse any body as JSON.
    const plain = await postJson(`${stack.origin.url}/v1/chat/completions`, chat('gpt-oss:20b'), { headers: { ...h, 'content-type': 'text/plain' } });
    expect(plain.status).toBe(404);
    await plain.body?.cancel();
    const api = await postJson(`${stack.origin.url}/api/chat`, chat('gpt-oss:20b'), { headers: h });
    expect(api.status).toBe(404);
    const apiBody = (await api.json()) as { error: unknown };
    expect(apiBody.error).toEqual(expect.stringContaining("'gpt-oss:20b'"));
    const show = await postJson(`${stack.origin.url}/api/show`, { name: 'gpt-oss:20b' }, { headers: h });
    expect(show.status).toBe(404);
    await show.body?.cancel();

    const ok = await postJson(`${stack.origin.url}/v1/chat/completions`, chat('llama3.2:3b'), { headers: h });
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
    const embed = await postJson(`${stack.origin.url}/api/embed`, { model: 'nomic-embed-text', input: 'hi' }, { headers: h });
    expect(embed.status).toBe(200);
    await embed.body?.cancel();

    const allowed = ['llama3.2:3b', 'nomic-embed-text:latest'];
    const models = (await (await fetch(`${stack.origin.url}/v1/models`, { headers: h })).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id).sort()).toEqual(allowed);
    const tags = (await (await fetch(`${stack.origin.url}/api/tags`, { headers: h })).json()) as { models: Array<{ name: string }> };
    expect(tags.models.map((m) => m.name).sort()).toEqual(allowed);
    const ps = (await (await fetch(`${stack.origin.url}/api/ps`, { headers: h })).json()) as { models: Array<{ name: string }> };
    expect(ps.models.length).toBeGreaterThan(0);
    for (const m of ps.models) expect(allowed).toContain(m.name);
    // A tenant without an allow-list still sees everything.
    const every = (await (await fetch(`${stack.origin.url}/api/tags`, { headers: { authorization: `Bearer ${key}` } })).json()) as { models: Array<{ name: string }> };
    expect(every.models.map((m) => m.name)).toContain('gpt-oss:20b');
  });

  it('reads a Gemini client’s key the edge’s way (shared/api-key.ts): x-goog-api-key, ?key= on Gemini routes only, and the model from the path', async () => {
    const gen = (model: string, query = '', headers: Record<string, string> = {}) =>
      postJson(`${stack.origin.url}/v1beta/models/${model}:generateContent${query}`, { contents: [{ role: 'user', parts: [{ text: 'hi [[sim:tokens=2]]' }] }] }, { headers: { 'content-type': 'application/json', ...headers } });
    const byHeader = await gen('gpt-oss:20b', '', { 'x-goog-api-key': key });
    expect(byHeader.status).toBe(200);
    await byHeader.body?.cancel();
    const byQuery = await gen('gpt-oss:20b', `?key=${key}`);
    expect(byQuery.status).toBe(200);
    await byQuery.body?.cancel();
    const none = await gen('gpt-oss:20b');
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    const elsewhere = await fetch(`${stack.origin.url}/v1/models?key=${key}`);
    expect(elsewhere.status).toBe(401);
    await elsewhere.body?.cancel();
    const narrow = await gen('gpt-oss:20b', '', { 'x-goog-api-key': narrowKey });
    expect(narrow.status).toBe(404);
    expect(await narrow.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    const list = (await (await fetch(`${stack.origin.url}/v1beta/models?key=${narrowKey}`)).json()) as { models: Array<{ name: string }> };
    expect(list.models.map((m) => m.name).sort()).toEqual(['models/llama3.2:3b', 'models/nomic-embed-text:latest']);
  });

  it('serves a valid key and refuses others, and picks up revocations from the file', async () => {
    const ok = new OpenAI({ baseURL: `${stack.origin.url}/v1`, apiKey: key, maxRetries: 0 });
    const models = await ok.models.list();
    expect(models.data.length).toBeGreaterThan(0);
    const bad = new OpenAI({ baseURL: `${stack.origin.url}/v1`, apiKey: 'pk_aaaaaaaaaaaa_' + 'B'.repeat(43), maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });

    setKeyStatus(data, keyId, 'revoked');
    writeTenantsFile(file, data);
    // The origin re-reads the file on its own schedule: poll until the revocation shows.
    await expect
      .poll(async () => {
        const res = await fetch(`${stack.origin.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
        return { status: res.status, body: await res.json() };
      }, { timeout: 10_000, interval: 100 })
      .toMatchObject({ status: 401, body: { error: { code: 'revoked_api_key' } } });
  });
});
