/**
 * Item 1 and 2 of the hardening issue, as a matrix: every route × every path-encoding trick ×
 * every tenant kind, on each target (workerd edge, Viceroy edge when built, keys-mode origin).
 * A tenant limited to two models must never see or reach a third, however the path or the body
 * names it; a path that cannot be read one way only is refused with a 400 that names `path`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, errorText, rawRequest, startTarget, targetNames, type RawResponse, type Target } from './harness.ts';
import { tally } from './tally.ts';

const FORBIDDEN = 'gpt-oss:20b';
const ALLOWED = 'llama3.2:3b';

type Expect = 'same' | 'invalid' | 'not_found';

/** Ways to spell a path; `same` ones must behave exactly as the plain path does. */
const TRICKS: Array<{ name: string; apply: (p: string) => string; expect: Expect }> = [
  { name: 'plain', apply: (p) => p, expect: 'same' },
  { name: 'last letter %xx', apply: (p) => p.slice(0, -1) + '%' + p.charCodeAt(p.length - 1).toString(16), expect: 'same' },
  { name: 'first letter of last segment %XX', apply: (p) => encodeAt(p, p.lastIndexOf('/') + 1, true), expect: 'same' },
  { name: 'every letter %xx', apply: (p) => p.replace(/[a-z]/g, (ch) => '%' + ch.charCodeAt(0).toString(16)), expect: 'same' },
  { name: 'prefix letter %xx', apply: (p) => encodeAt(p, 1, false), expect: 'same' },
  { name: './', apply: (p) => insertBeforeLast(p, '.'), expect: 'same' },
  { name: 'x/../', apply: (p) => insertBeforeLast(p, 'zz/..'), expect: 'same' },
  { name: '%2e/', apply: (p) => insertBeforeLast(p, '%2e'), expect: 'same' },
  { name: 'x/%2e%2e/', apply: (p) => insertBeforeLast(p, 'zz/%2E%2e'), expect: 'same' },
  { name: 'query', apply: (p) => p + '?model=' + FORBIDDEN, expect: 'same' },
  { name: 'encoded slash', apply: (p) => p.slice(0, p.lastIndexOf('/')) + '%2F' + p.slice(p.lastIndexOf('/') + 1), expect: 'invalid' },
  { name: 'encoded backslash', apply: (p) => p.slice(0, p.lastIndexOf('/')) + '%5c' + p.slice(p.lastIndexOf('/') + 1), expect: 'invalid' },
  { name: 'double encoding', apply: (p) => p.slice(0, -1) + '%25' + p.charCodeAt(p.length - 1).toString(16), expect: 'invalid' },
  { name: 'lone %', apply: (p) => p + '%', expect: 'invalid' },
  { name: 'bad hex', apply: (p) => p + '%zz', expect: 'invalid' },
  { name: 'invalid UTF-8', apply: (p) => p + '%FF', expect: 'invalid' },
  { name: 'NUL', apply: (p) => p + '%00', expect: 'invalid' },
  { name: 'empty segment', apply: (p) => p.replace(/^\/([^/]+)\//, '/$1//'), expect: 'invalid' },
  { name: 'trailing slash', apply: (p) => p + '/', expect: 'not_found' },
  { name: 'upper case', apply: (p) => p.replace(/[a-z]/, (ch) => ch.toUpperCase()), expect: 'not_found' },
  { name: 'encoded ; suffix', apply: (p) => p + '%3Bx', expect: 'not_found' },
];

function encodeAt(p: string, i: number, upper: boolean): string {
  const hex = p.charCodeAt(i).toString(16);
  return p.slice(0, i) + '%' + (upper ? hex.toUpperCase() : hex) + p.slice(i + 1);
}
function insertBeforeLast(p: string, seg: string): string {
  const i = p.lastIndexOf('/');
  return `${p.slice(0, i)}/${seg}${p.slice(i)}`;
}

const LISTS = ['/v1/models', '/api/tags', '/api/ps', '/v1beta/models'];
/** POST routes and a body naming the forbidden model in each one's own way. */
const MODEL_ROUTES: Array<{ path: string; body: Record<string, unknown> }> = [
  { path: '/v1/chat/completions', body: { model: FORBIDDEN, messages: [{ role: 'user', content: 'hi' }] } },
  { path: '/v1/completions', body: { model: FORBIDDEN, prompt: 'hi' } },
  { path: '/v1/embeddings', body: { model: FORBIDDEN, input: 'hi' } },
  { path: '/api/chat', body: { model: FORBIDDEN, stream: false, messages: [{ role: 'user', content: 'hi' }] } },
  { path: '/api/generate', body: { model: FORBIDDEN, stream: false, prompt: 'hi' } },
  { path: '/api/embed', body: { model: FORBIDDEN, input: 'hi' } },
  { path: '/api/embeddings', body: { model: FORBIDDEN, prompt: 'hi' } },
  { path: '/api/show', body: { model: FORBIDDEN } },
  { path: '/v1/messages', body: { model: FORBIDDEN, max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] } },
  { path: '/v1/responses', body: { model: FORBIDDEN, input: 'hi' } },
  // Gemini names the model in the path: a body naming an allowed one changes nothing.
  ...[':generateContent', ':streamGenerateContent', ':countTokens'].map((method) => ({
    path: `/v1beta/models/${FORBIDDEN}${method}`,
    body: { model: ALLOWED, contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
  })),
];

/** A refusal in the route's own dialect: Anthropic's typed error object, OpenAI's `code`, Ollama's string. */
function inDialect(path: string, r: RawResponse): boolean {
  const j = r.json as { type?: unknown; error?: { type?: unknown; code?: unknown } | string } | undefined;
  if (path === '/v1/messages') return j?.type === 'error' && typeof j.error === 'object' && j.error.type === 'not_found_error';
  if (path.startsWith('/v1beta/')) return typeof j?.error === 'object' && (j.error as { status?: unknown }).status === 'NOT_FOUND';
  if (path.startsWith('/v1/')) return typeof j?.error === 'object' && j.error.code === 'model_not_found';
  return typeof j?.error === 'string';
}

/** The dialect follows the path as sent: `/api%2Ftags` is not under /api/, so it gets OpenAI's shape. */
function namesPath(r: RawResponse): boolean {
  const error = (r.json as { error?: unknown } | undefined)?.error;
  if (typeof error === 'string') return /\bpath\b/.test(error);
  // Google's shape names the field in a BadRequest detail.
  const details = (error as { details?: Array<{ fieldViolations?: Array<{ field: string }> }> } | undefined)?.details;
  if (details) return details.some((d) => d.fieldViolations?.some((v) => v.field === 'path'));
  return (error as { param?: unknown } | undefined)?.param === 'path';
}

function listNames(path: string, r: RawResponse): string[] {
  const j = r.json as { data?: Array<{ id: string }>; models?: Array<{ name: string }> };
  if (path.startsWith('/v1beta/')) return (j.models ?? []).map((m) => m.name.replace(/^models\//, ''));
  return path.startsWith('/v1/') ? (j.data ?? []).map((m) => m.id) : (j.models ?? []).map((m) => m.name);
}

for (const name of targetNames()) {
  describe(`path canonicalisation × allow-list on ${name}`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await startTarget(name);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('model lists: every spelling of the path is the list route, refused, or no route; never an unfiltered list', async () => {
      const count = tally(`path × allow-list (lists) on ${name}`);
      for (const list of LISTS) {
        for (const trick of TRICKS) {
          const path = trick.apply(list);
          const allowedOnly = await rawRequest(t.url, { path, headers: bearer(t.keys.models) });
          const open = await rawRequest(t.url, { path, headers: bearer(t.keys.open) });
          const anonymous = await rawRequest(t.url, { path });
          const suspended = await rawRequest(t.url, { path, headers: bearer(t.keys.suspended) });
          const at = `${trick.name}: GET ${path}`;
          count.tried += 4;
          // Never a forbidden name for the limited tenant, whatever came back.
          expect(allowedOnly.text, at).not.toContain(FORBIDDEN);
          for (const r of [allowedOnly, open, anonymous, suspended]) expect(r.status, at).toBeLessThan(500);
          if (trick.expect === 'same') {
            expect(allowedOnly.status, at).toBe(200);
            expect(listNames(list, allowedOnly).every((m) => m === ALLOWED || m.startsWith('nomic-embed-text')), at).toBe(true);
            expect(open.status, at).toBe(200);
            if (list !== '/api/ps') expect(listNames(list, open), at).toContain(FORBIDDEN);
            expect(anonymous.status, at).toBe(401);
            expect(suspended.status, at).toBe(403);
          } else if (trick.expect === 'invalid') {
            for (const r of [allowedOnly, open, anonymous, suspended]) {
              expect(r.status, at).toBe(400);
              expect(namesPath(r), `${at}: ${r.text}`).toBe(true);
            }
          } else {
            expect(allowedOnly.status, at).toBe(404);
            expect(open.status, at).toBe(404);
            expect([401, 404], at).toContain(anonymous.status);
          }
          count.held += 4;
        }
      }
    });

    it('model routes: every spelling of the path refuses the forbidden model (or the path itself)', async () => {
      const count = tally(`path × allow-list (model routes) on ${name}`);
      for (const route of MODEL_ROUTES) {
        for (const trick of TRICKS) {
          const path = trick.apply(route.path);
          const at = `${trick.name}: POST ${path}`;
          const r = await rawRequest(t.url, { method: 'POST', path, headers: bearer(t.keys.models), body: JSON.stringify(route.body) });
          count.tried++;
          expect(r.status, `${at}: ${r.text}`).toBeLessThan(500);
          expect(r.status, `${at}: ${r.text}`).not.toBe(200);
          if (trick.expect === 'same') {
            expect(r.status, at).toBe(404);
            expect(errorText(r), at).toContain(FORBIDDEN);
            expect(inDialect(route.path, r), `${at}: ${r.text}`).toBe(true);
          } else if (trick.expect === 'invalid') {
            expect(r.status, at).toBe(400);
            expect(namesPath(r), `${at}: ${r.text}`).toBe(true);
          } else expect(r.status, at).toBe(404);
          count.held++;
        }
      }
    });

    it('/api/show and friends: a model field that names nothing is refused naming it, never skipped for `name`', async () => {
      const count = tally(`model field tricks on ${name}`);
      const post = (path: string, body: string) => rawRequest(t.url, { method: 'POST', path, headers: bearer(t.keys.models), body });
      for (const bad of ['null', '123', '[]', '{}', 'false', '""', '0', 'true', `["${FORBIDDEN}"]`, `{"name":"${FORBIDDEN}"}`]) {
        for (const path of ['/api/show', '/api/chat', '/api/generate', '/api/embed', '/v1/chat/completions', '/v1/embeddings']) {
          const r = await post(path, `{"model":${bad},"name":"${FORBIDDEN}","messages":[{"role":"user","content":"hi"}],"input":"hi","prompt":"hi","stream":false}`);
          count.tried++;
          expect(r.status, `${path} model=${bad}: ${r.text}`).toBe(400);
          if (path.startsWith('/v1/')) expect((r.json as { error: { param: string } }).error.param, path).toBe('model');
          else expect(errorText(r), path).toMatch(/^model\b/);
          count.held++;
        }
      }
      // `name` alone (Ollama's old field) is checked like `model`; one that names nothing is refused too.
      const byName = await post('/api/show', JSON.stringify({ name: FORBIDDEN }));
      expect(byName.status).toBe(404);
      for (const bad of ['123', 'null', '[]', '""']) {
        const r = await post('/api/show', `{"name":${bad}}`);
        expect(r.status, `name=${bad}`).toBe(400);
        expect(errorText(r)).toMatch(/^name\b/);
      }
      // `model` wins over `name`, as in Ollama; the forbidden name is not what is shown.
      const both = await post('/api/show', JSON.stringify({ model: ALLOWED, name: FORBIDDEN }));
      expect(both.status, both.text).toBe(200);
      expect(both.text).not.toContain(FORBIDDEN);
      const reversed = await post('/api/show', JSON.stringify({ model: FORBIDDEN, name: ALLOWED }));
      expect(reversed.status).toBe(404);
      // A duplicated key has no one reading (JSON.parse keeps the last, other parsers the first): refused naming it.
      const dup = await post('/api/show', `{"model":"${ALLOWED}","model":"${FORBIDDEN}"}`);
      expect(dup.status, dup.text).toBe(400);
      expect(errorText(dup)).toMatch(/^model\b/);
      count.tried += 8;
      count.held += 8;
    });
  });
}
