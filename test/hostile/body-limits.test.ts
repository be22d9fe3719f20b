/**
 * Items 5, 6 and 8 of the hardening issue, on each target: a body nested past the limit, native
 * `options` of the wrong type and an over-long embedding batch are each a 400 that names what was
 * wrong, in the route's dialect, on every route: never the engine's 500 relayed as a 502.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../shared/json-body.ts';
import { MAX_EMBED_INPUTS } from '../../shared/schemas/ollama.ts';
import { bearer, errorText, rawRequest, startTarget, targetNames, type RawResponse, type Target } from './harness.ts';
import { tally } from './tally.ts';

const MODEL = 'llama3.2:3b';
const EMBED = 'nomic-embed-text';

const ROUTES: Array<{ path: string; body: Record<string, unknown> }> = [
  { path: '/v1/chat/completions', body: { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 } },
  { path: '/v1/completions', body: { model: MODEL, prompt: 'hi', max_tokens: 2 } },
  { path: '/v1/embeddings', body: { model: EMBED, input: 'hi' } },
  { path: '/api/chat', body: { model: MODEL, stream: false, messages: [{ role: 'user', content: 'hi' }], options: { num_predict: 2 } } },
  { path: '/api/generate', body: { model: MODEL, stream: false, prompt: 'hi', options: { num_predict: 2 } } },
  { path: '/api/embed', body: { model: EMBED, input: 'hi' } },
  { path: '/api/embeddings', body: { model: EMBED, prompt: 'hi' } },
  { path: '/api/show', body: { model: MODEL } },
];

/** `depth` levels of arrays inside the body object (the object itself is one more). */
const nested = (body: Record<string, unknown>, depth: number) => JSON.stringify(body).slice(0, -1) + `,"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`;

/** The field or limit an error names: OpenAI's `param` and message, or Ollama's string. */
function named(r: RawResponse): string {
  const e = (r.json as { error?: unknown })?.error;
  return typeof e === 'string' ? e : JSON.stringify(e);
}

for (const name of targetNames()) {
  describe(`body limits on ${name}`, () => {
    let t: Target;
    const post = (path: string, body: string) => rawRequest(t.url, { method: 'POST', path, headers: bearer(t.keys.open), body });
    beforeAll(async () => {
      t = await startTarget(name);
    });
    afterAll(async () => {
      await t?.close();
    });

    it(`refuses nesting past ${MAX_JSON_DEPTH} levels on every route with a 400 naming the limit (5,000 levels once made a 500)`, async () => {
      const count = tally(`deep nesting on ${name}`);
      for (const route of ROUTES) {
        for (const depth of [MAX_JSON_DEPTH, 5_000, 100_000]) {
          const r = await post(route.path, nested(route.body, depth));
          count.tried++;
          expect(r.status, `${route.path} depth ${depth}: ${r.text.slice(0, 300)}`).toBe(400);
          expect(named(r), route.path).toContain(`limit of ${MAX_JSON_DEPTH} levels`);
          if (route.path.startsWith('/v1/')) expect((r.json as { error: { code: string; param: string } }).error).toMatchObject({ code: 'json_too_deep', param: 'body' });
          count.held++;
        }
        // At the limit (the body object is one level): served as usual.
        const ok = await post(route.path, nested(route.body, MAX_JSON_DEPTH - 1));
        expect(ok.status, `${route.path} at the limit: ${ok.text.slice(0, 300)}`).toBe(200);
      }
    });

    it('refuses native options of the wrong type with a 400 naming options.<field> (the engine answered 500)', async () => {
      const count = tally(`options types on ${name}`);
      const wrong: Array<[string, unknown]> = [
        ['num_ctx', 'big'],
        ['num_predict', 1.5],
        ['temperature', 'hot'],
        ['top_p', [0.9]],
        ['seed', {}],
        ['stop', 'END'],
        ['stop', [1, 2]],
        ['use_mmap', 1],
        ['num_gpu', true],
      ];
      for (const path of ['/api/chat', '/api/generate', '/api/embed', '/api/embeddings']) {
        const base = ROUTES.find((r) => r.path === path)!.body;
        for (const [field, value] of wrong) {
          const r = await post(path, JSON.stringify({ ...base, options: { [field]: value } }));
          count.tried++;
          expect(r.status, `${path} options.${field}=${JSON.stringify(value)}: ${r.text}`).toBe(400);
          expect(errorText(r), path).toContain(`options.${field}`);
          count.held++;
        }
        // `options` itself of the wrong type, and a null option (Ollama's "not set") that is fine.
        const notObject = await post(path, JSON.stringify({ ...base, options: 'fast' }));
        expect(notObject.status).toBe(400);
        expect(errorText(notObject)).toContain('options');
        const unset = await post(path, JSON.stringify({ ...base, options: { temperature: null, num_ctx: 2048, stop: ['\n'] } }));
        expect(unset.status, unset.text).toBe(200);
        count.tried += 2;
        count.held += 2;
      }
    });

    it(`caps /api/embed at ${MAX_EMBED_INPUTS} inputs like /v1/embeddings, naming the field`, async () => {
      const count = tally(`embedding batch cap on ${name}`);
      const inputs = Array.from({ length: MAX_EMBED_INPUTS + 1 }, (_, i) => `text ${i}`);
      for (const path of ['/api/embed', '/v1/embeddings']) {
        const r = await post(path, JSON.stringify({ model: EMBED, input: inputs }));
        count.tried++;
        expect(r.status, `${path}: ${r.text.slice(0, 300)}`).toBe(400);
        expect(errorText(r)).toContain('input');
        expect(errorText(r)).toContain(String(MAX_EMBED_INPUTS));
        count.held++;
      }
      // Admission sees the batch: one engine slot per input (the gate caps it at the model's slots).
      const { admission } = t.origin.origin.deps;
      const seen: Array<number | undefined> = [];
      const acquire = admission.acquire;
      admission.acquire = (req) => (seen.push(req.slots), acquire.call(admission, req));
      try {
        const ok = await post('/api/embed', JSON.stringify({ model: EMBED, input: ['a', 'b', 'c'] }));
        expect(ok.status).toBe(200);
        expect((ok.json as { embeddings: unknown[] }).embeddings).toHaveLength(3);
        const v1 = await post('/v1/embeddings', JSON.stringify({ model: EMBED, input: ['a', 'b'] }));
        expect(v1.status).toBe(200);
        const one = await post('/api/embed', JSON.stringify({ model: EMBED, input: 'a' }));
        expect(one.status).toBe(200);
      } finally {
        admission.acquire = acquire;
      }
      expect(seen).toEqual([3, 2, 1]);
    });
  });
}
