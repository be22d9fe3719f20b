/**
 * The seeded body fuzzer of the hostile suite: every POST route of both dialects gets bodies an
 * attacker or a broken client would send (random bytes, invalid UTF-8, wrong types per field,
 * deep nesting, huge arrays, odd model names). Whatever arrives: no 5xx, no answer slower than
 * 10 s, and every 400 names what was wrong (OpenAI's `param`, or Ollama's "field: why").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../sim/text.ts';
import { bearer, rawRequest, startTarget, targetNames, type Target } from './harness.ts';
import { tally } from './tally.ts';

const CASES_PER_TARGET = 1_000;
const SEED = 0xf022;
/** Anthropic has no `param`: its 400 message starts with the field's path ("messages.0.role …"), or "body"/"request body" for the whole. */
const LEADING_FIELD = /^(?:request body\b|([A-Za-z_]\w*)(?=[.\[:\s]))/;
const EXTRA_FIELDS = ['options', 'messages', 'input', 'prompt', 'stream', 'format', 'keep_alive', 'tools', 'stop', 'temperature'];

const ROUTES: Array<{ path: string; valid: Record<string, unknown> }> = [
  { path: '/v1/chat/completions', valid: { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 } },
  { path: '/v1/completions', valid: { model: 'llama3.2:3b', prompt: 'hi', max_tokens: 3 } },
  { path: '/v1/embeddings', valid: { model: 'nomic-embed-text', input: 'hi' } },
  { path: '/api/chat', valid: { model: 'llama3.2:3b', stream: false, messages: [{ role: 'user', content: 'hi' }], options: { num_predict: 3 } } },
  { path: '/api/generate', valid: { model: 'llama3.2:3b', stream: false, prompt: 'hi', options: { num_predict: 3 } } },
  { path: '/api/embed', valid: { model: 'nomic-embed-text', input: 'hi' } },
  { path: '/api/embeddings', valid: { model: 'nomic-embed-text', prompt: 'hi' } },
  { path: '/api/show', valid: { model: 'llama3.2:3b' } },
  { path: '/v1/messages', valid: { model: 'llama3.2:3b', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] } },
  { path: '/v1/responses', valid: { model: 'llama3.2:3b', input: 'hi', max_output_tokens: 3 } },
];

const ODD_VALUES: unknown[] = [null, true, false, 0, -1, 1e308, 1.5, '', ' ', 'x'.repeat(5_000), '\u0000', '\ud800', '../../etc/passwd', '%00', [], [null], [[[]]], {}, { $ne: 1 }, { __proto__: { admin: true } }, 'gpt-oss:20b:evil', 'llama3.2:3b\n', 'LLAMA3.2:3B'];

/** One hostile body for `route`, drawn from `r`; text or raw bytes. */
function hostileBody(route: (typeof ROUTES)[number], r: () => number): string | Uint8Array {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  switch (Math.floor(r() * 7)) {
    case 0:
      return Uint8Array.from({ length: 1 + Math.floor(r() * 512) }, () => Math.floor(r() * 256));
    case 1: {
      // Valid JSON around invalid UTF-8.
      const text = JSON.stringify(route.valid);
      const bytes = new TextEncoder().encode(text);
      const out = new Uint8Array(bytes.length + 2);
      out.set(bytes.subarray(0, bytes.length - 2));
      out.set([0xc3, 0x28], bytes.length - 2);
      out.set(bytes.subarray(bytes.length - 2), bytes.length);
      return out;
    }
    case 2: {
      // One field of the wrong type (or an extra odd one).
      const keys = Object.keys(route.valid);
      const body: Record<string, unknown> = { ...route.valid };
      body[r() < 0.8 ? pick(keys) : pick(EXTRA_FIELDS)] = pick(ODD_VALUES);
      return JSON.stringify(body);
    }
    case 3: {
      const depth = 10 + Math.floor(r() * 3_000);
      return JSON.stringify(route.valid).slice(0, -1) + `,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    }
    case 4: {
      // Over the 2,048-input cap, or small: a valid batch of thousands is real work, not a hang.
      const n = r() < 0.5 ? 2_049 + Math.floor(r() * 3_000) : Math.floor(r() * 64);
      const field = route.path.includes('embed') || route.path === '/v1/responses' ? 'input' : route.path.endsWith('chat/completions') || route.path === '/api/chat' || route.path === '/v1/messages' ? 'messages' : 'stop';
      const item = field === 'messages' ? { role: 'user', content: 'x' } : 'x';
      return JSON.stringify({ ...route.valid, [field]: Array.from({ length: n }, () => item) });
    }
    case 5:
      return JSON.stringify({ ...route.valid, model: pick(ODD_VALUES) });
    default: {
      // Truncated or doubled JSON, or nothing at all.
      const text = JSON.stringify(route.valid);
      return pick([text.slice(0, Math.floor(r() * text.length)), text + text, '', 'null', '[]', '"str"', '{"model":']);
    }
  }
}

/**
 * A 4xx body that says what was wrong, in the route's own dialect: Anthropic's
 * `{"type":"error","error":{"type","message"}}` whose 400 message names the field, OpenAI's
 * `param` (Chat, Completions, Embeddings, Responses), or Ollama's "field: why" string.
 */
function namesWhatWasWrong(route: (typeof ROUTES)[number], status: number, text: string): boolean {
  if (status < 400) return true;
  let j: { type?: unknown; error?: unknown };
  try {
    j = JSON.parse(text) as { type?: unknown; error?: unknown };
  } catch {
    return false;
  }
  if (route.path === '/v1/messages') {
    const e = j.error as { type?: unknown; message?: unknown } | undefined;
    if (j.type !== 'error' || !e || typeof e.type !== 'string' || typeof e.message !== 'string' || e.message.length === 0) return false;
    if (status !== 400) return true;
    const m = LEADING_FIELD.exec(e.message);
    return m !== null && (m[1] === undefined || m[1] in route.valid || EXTRA_FIELDS.includes(m[1]) || m[1] === 'body' || m[1] === 'x');
  }
  if (route.path.startsWith('/api/')) return typeof j.error === 'string' && j.error.length > 0;
  const e = j.error as { param?: unknown; code?: unknown; message?: unknown } | undefined;
  if (!e || typeof e.message !== 'string') return false;
  return status !== 400 || typeof e.param === 'string';
}

for (const name of targetNames()) {
  describe(`body fuzzer on ${name}`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await startTarget(name, { sim: { timeScale: 0.01 } });
    });
    afterAll(async () => {
      await t?.close();
    });

    it(`${CASES_PER_TARGET} seeded hostile bodies: no 5xx, no hang, every error names its field`, { timeout: 240_000 }, async () => {
      const count = tally(`body fuzzer on ${name}`);
      const r = mulberry32(SEED);
      const failures: string[] = [];
      for (let i = 0; i < CASES_PER_TARGET; i++) {
        const route = ROUTES[i % ROUTES.length]!;
        const body = hostileBody(route, r);
        count.tried++;
        let res;
        try {
          res = await rawRequest(t.url, { method: 'POST', path: route.path, headers: bearer(t.keys.open), body, timeoutMs: 10_000 });
        } catch (err) {
          failures.push(`#${i} ${route.path}: ${(err as Error).message}`);
          continue;
        }
        if (res.status >= 500 || !namesWhatWasWrong(route, res.status, res.text)) {
          failures.push(`#${i} ${route.path} ${res.status}: ${res.text.slice(0, 200)} ← ${typeof body === 'string' ? body.slice(0, 120) : `bytes(${body.length})`}`);
          continue;
        }
        count.held++;
      }
      expect(failures.slice(0, 30)).toEqual([]);
    });
  });
}
