/**
 * The parser-differential family of the hostile suite (issue 19): bodies that name an allowed
 * model where JavaScript reads, and a forbidden one where Go's encoding/json (Ollama's decoder)
 * would read it: a second `model` in another case, with ſ/K or `\uXXXX` escapes, a duplicate, or a
 * misspelled field where the engine decodes a struct. Each is refused with a 400 naming the key,
 * by the edge itself (workerd, Viceroy) and by a keys-mode origin; honest bodies whose tool
 * parameters, options or schemas merely share a name with an engine field in another case pass.
 * The real engine's side of it is test/real-ollama/parser-differential.test.ts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, errorText, rawRequest, startTarget, targetNames, type Target } from './harness.ts';
import { tally } from './tally.ts';
import { keyLiteral, objectText, spelledKey } from '../helpers/key-spellings.ts';

const ALLOWED = 'llama3.2:3b';
const FORBIDDEN = 'gpt-oss:20b';
const CASES_PER_TARGET = 60;

const ROUTES: Array<{ path: string; rest: Array<[string, string]> }> = [
  { path: '/api/chat', rest: [['"stream"', 'false'], ['"messages"', '[{"role":"user","content":"hi"}]'], ['"options"', '{"num_predict":2}']] },
  { path: '/api/generate', rest: [['"stream"', 'false'], ['"prompt"', '"hi"'], ['"options"', '{"num_predict":2}']] },
  { path: '/api/embed', rest: [['"input"', '"hi"']] },
  { path: '/api/show', rest: [] },
  { path: '/v1/chat/completions', rest: [['"messages"', '[{"role":"user","content":"hi"}]'], ['"max_tokens"', '2']] },
  { path: '/v1/messages', rest: [['"messages"', '[{"role":"user","content":"hi"}]'], ['"max_tokens"', '2']] },
];

/** A body naming ALLOWED as `model` and FORBIDDEN under another spelling of it (or again as `model`), before or after. */
const sneaky = fc
  .tuple(fc.constantFrom(...ROUTES), spelledKey('model'), fc.boolean(), fc.boolean())
  .map(([route, k, before, escapeReal]) => {
    const real: [string, string] = [keyLiteral('model', escapeReal ? [true] : []), JSON.stringify(ALLOWED)];
    const sneak: [string, string] = [k.literal, JSON.stringify(FORBIDDEN)];
    return { route, sneakKey: k.key, text: objectText(before ? [sneak, real, ...route.rest] : [real, ...route.rest, sneak]) };
  });

/** Bodies an honest client sends: names like an engine field's, in another case, where the engine keeps keys as they are. */
const HONEST: Array<{ path: string; body: Record<string, unknown> }> = [
  {
    path: '/api/chat',
    body: {
      model: ALLOWED,
      stream: false,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { Name: { type: 'string' }, Model: { type: 'string' } }, required: ['Name'] } } }],
      options: { num_predict: 2 },
    },
  },
  { path: '/api/generate', body: { model: ALLOWED, stream: false, prompt: 'hi', format: { type: 'object', properties: { Model: { type: 'string' } } }, options: { num_predict: 2 } } },
  { path: '/v1/chat/completions', body: { model: ALLOWED, max_tokens: 2, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { Stream: { type: 'boolean' } } } } }] } },
];

for (const name of targetNames()) {
  describe(`parser differentials on ${name}`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await startTarget(name, { sim: { timeScale: 0.01 } });
    });
    afterAll(async () => {
      await t?.close();
    });

    it(`${CASES_PER_TARGET} generated spellings of a second model are refused with a 400 naming the key`, { timeout: 120_000 }, async () => {
      const count = tally(`parser differential: sneaked model on ${name}`);
      const failures: string[] = [];
      for (const c of fc.sample(sneaky, { numRuns: CASES_PER_TARGET, seed: 0x19 })) {
        count.tried++;
        const res = await rawRequest(t.url, { method: 'POST', path: c.route.path, headers: bearer(t.keys.models), body: c.text });
        const said = errorText(res);
        if (res.status !== 400 || !said.includes(c.sneakKey === 'model' ? 'model' : c.sneakKey)) {
          failures.push(`${c.route.path} ${res.status} ${said.slice(0, 160)} ← ${c.text}`);
          continue;
        }
        count.held++;
      }
      expect(failures.slice(0, 20)).toEqual([]);
    });

    it('a misspelled engine field on its own is refused; honest look-alike names in tool schemas, formats and options pass', async () => {
      const count = tally(`parser differential: lone spelling / honest names on ${name}`);
      for (const text of ['{"model":"llama3.2:3b","messages":[{"role":"user","content":"hi"}],"\u017ftream":false}', '{"model":"llama3.2:3b","prompt":"hi","OPTIONS":{"num_ctx":99999999}}']) {
        count.tried++;
        const res = await rawRequest(t.url, { method: 'POST', path: text.includes('prompt') ? '/api/generate' : '/api/chat', headers: bearer(t.keys.models), body: text });
        expect(res.status, res.text).toBe(400);
        expect(errorText(res)).toMatch(/ſtream|OPTIONS/);
        count.held++;
      }
      for (const h of HONEST) {
        count.tried++;
        const res = await rawRequest(t.url, { method: 'POST', path: h.path, headers: bearer(t.keys.models), body: JSON.stringify(h.body) });
        expect(res.status, `${h.path}: ${res.text.slice(0, 300)}`).toBe(200);
        count.held++;
      }
    });
  });
}
