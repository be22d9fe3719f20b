/**
 * The Anthropic and Responses dialects through the edge (workerd or Viceroy) in front of the
 * origin and the simulator, with a tenant key: the official clients' suites, and the edge's own
 * refusals in each dialect's shape (an Anthropic client gets an Anthropic 401 and 429).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placedFetch, startEdgeStack, type EdgeStack, type Runtime } from '../edge/harness/stack.ts';
import { anthropicClientSuite } from './anthropic-client.suite.ts';
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
  });
}
