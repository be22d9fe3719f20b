/**
 * The Anthropic, Responses and Gemini dialects through the edge (workerd or Viceroy) in front of the
 * origin and the simulator, with a tenant key: the official clients' suites, and the edge's own
 * refusals in each dialect's shape (an Anthropic client gets an Anthropic 401 and 429, a Gemini
 * client Google's `{"error":{code,status}}`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placedFetch, startEdgeStack, type EdgeStack, type Runtime } from '../edge/harness/stack.ts';
import { anthropicClientSuite } from './anthropic-client.suite.ts';
import { geminiClientSuite } from './gemini-client.suite.ts';
import { responsesClientSuite } from './responses-client.suite.ts';

export function dialectsThroughEdge(runtime: Runtime): void {
  describe(`dialects through the edge on ${runtime === 'fastly' ? 'Fastly Compute (Viceroy)' : 'Cloudflare Workers (workerd)'}`, () => {
    let s: EdgeStack;
    beforeAll(async () => {
      s = await startEdgeStack(runtime, { timeScale: 0.05 });
    });
    afterAll(() => s?.close());
    const placed: typeof fetch = (url, init) => placedFetch('', s.edge.clientFrom('DE'), String(url), init ?? {});
    const target = () => ({ baseURL: s.edge.url, apiKey: s.keys.open, model: 'gpt-oss:20b', fetch: placed });

    describe('@anthropic-ai/sdk', () => anthropicClientSuite(target));
    describe('openai responses', () => responsesClientSuite(target));
    describe('@google/genai', () => geminiClientSuite(target));

    const generate = (key: string, model = 'gpt-oss:20b', how: 'header' | 'query' = 'header') =>
      placed(`${s.edge.url}/v1beta/models/${model}:generateContent${how === 'query' ? `?key=${key}` : ''}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(how === 'header' ? { 'x-goog-api-key': key } : {}) },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi [[sim:tokens=2]]' }] }] }),
      });

    it('a Gemini client refused by the edge reads Google’s error (401, 429), and ?key= is a key there', async () => {
      const unauth = await generate('pk_nobody_wrongsecret');
      expect(unauth.status).toBe(401);
      expect(await unauth.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
      const none = await placed(`${s.edge.url}/v1beta/models`, {});
      expect(none.status).toBe(401);
      expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(/x-goog-api-key/);
      const byQuery = await generate(s.keys.open, 'gpt-oss:20b', 'query');
      expect(byQuery.status).toBe(200);
      expect(await byQuery.json()).toMatchObject({ candidates: [{ finishReason: 'STOP' }] });
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        last = await generate(s.keys.limited);
        if (last.status === 429) break;
        await last.text();
      }
      expect(last!.status).toBe(429);
      expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await last!.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
    });

    // Google answers a location it does not serve with FAILED_PRECONDITION; the status stays the edge's 451.
    it('a Gemini client outside its tenant’s countries gets FAILED_PRECONDITION (451)', async () => {
      const res = await placedFetch('', s.edge.clientFrom('US'), `${s.edge.url}/v1beta/models/gpt-oss:20b:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': s.keys.germany },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      });
      expect(res.status).toBe(451);
      expect(await res.json()).toMatchObject({ error: { code: 451, status: 'FAILED_PRECONDITION' } });
    });

    const messages = (key: string) =>
      placed(`${s.edge.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'gpt-oss:20b', max_tokens: 8, messages: [{ role: 'user', content: 'hi [[sim:tokens=2]]' }] }),
      });

    it('an Anthropic client refused by the edge reads an Anthropic error (401, 429)', async () => {
      const unauth = await messages('pk_nobody_wrongsecret');
      expect(unauth.status).toBe(401);
      expect(await unauth.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        last = await messages(s.keys.limited);
        if (last.status === 429) break;
        await last.text();
      }
      expect(last!.status).toBe(429);
      expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await last!.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    });

    it('the model allow-list reads the model of each dialect', async () => {
      const res = await placed(`${s.edge.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.keys.models}` },
        body: JSON.stringify({ model: 'gpt-oss:20b', input: 'hi' }),
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
      const anth = await messages(s.keys.models);
      expect(anth.status).toBe(404);
      expect(await anth.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    });

    it('the allow-list reads a Gemini model from the path, whatever the body says, and filters its model list', async () => {
      const gem = await generate(s.keys.models);
      expect(gem.status).toBe(404);
      expect(await gem.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
      // A `model` in the body naming an allowed model changes nothing: the path's is the one served.
      const smuggled = await placed(`${s.edge.url}/v1beta/models/gpt-oss:20b:streamGenerateContent?alt=sse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': s.keys.models },
        body: JSON.stringify({ model: 'llama3.2:3b', contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      });
      expect(smuggled.status).toBe(404);
      const got = await placed(`${s.edge.url}/v1beta/models/gpt-oss:20b`, { headers: { 'x-goog-api-key': s.keys.models } });
      expect(got.status).toBe(404);
      const list = await placed(`${s.edge.url}/v1beta/models`, { headers: { 'x-goog-api-key': s.keys.models } });
      expect(list.status).toBe(200);
      const names = ((await list.json()) as { models: Array<{ name: string }> }).models.map((m) => m.name);
      expect(names).not.toContain('models/gpt-oss:20b');
      expect(names.every((n) => ['models/llama3.2:3b', 'models/nomic-embed-text:latest', 'models/nomic-embed-text'].includes(n))).toBe(true);
    });
  });
}
