/**
 * Several router entries as one (origin/http/one-handler.ts), held to Hono's own general path:
 * the same levels as separate `app.use`/`app.get` entries (Hono's compose) and as one handler
 * (Hono's single-handler path) must log the same steps, see the same `c.res`, `c.finalized` and
 * `c.error` after each `await next()`, and give the same answer: an error answered at the level
 * that threw, not-found when nothing answers, "not finalized" when a level stops without an
 * answer, a non-Error thrown passing every level, for any mix, with requests interleaved.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Hono, type Context, type ErrorHandler, type MiddlewareHandler } from 'hono';
import { chain } from '../../origin/http/chain.ts';
import { oneHandler } from '../../origin/http/one-handler.ts';

const KINDS = ['sync', 'async', 'throws', 'rejects', 'throwsValue', 'catches', 'answers', 'answersAfter', 'sets', 'stops'] as const;
type Kind = (typeof KINDS)[number];

/** Each request's log, by the number in its `x-n` header. */
const logs = new Map<string, string[]>();
const log = (c: Context, line: string): void => void logs.get(c.req.header('x-n')!)!.push(line);
/** What a level sees of the answer on its way back. */
const seen = (c: Context): string => `${c.finalized}:${c.finalized ? c.res.status : '-'}:${c.error?.message ?? '-'}`;

function mw(n: string, kind: Kind): MiddlewareHandler {
  switch (kind) {
    case 'sync':
      return (c, next) => {
        log(c, `in${n}`);
        return next();
      };
    case 'async':
      return async (c, next) => {
        await Promise.resolve();
        log(c, `in${n}`);
        await next();
        log(c, `out${n}:${seen(c)}`);
      };
    case 'throws':
      return () => {
        throw new Error(`boom${n}`);
      };
    case 'rejects':
      return async () => {
        await Promise.resolve();
        throw new Error(`late${n}`);
      };
    case 'throwsValue':
      return () => {
        throw `value${n}`;
      };
    case 'catches':
      // As the record middleware does: whatever comes back up is answered here.
      return async (c, next) => {
        try {
          await next();
        } catch (thrown) {
          log(c, `caught${n}:${String(thrown)}`);
          c.error = thrown instanceof Error ? thrown : new Error(String(thrown));
          c.res = c.text(`caught${n}`, 500);
        }
        log(c, `out${n}:${seen(c)}`);
      };
    case 'answers':
      return async (c) => c.text(`answer${n}`, 201);
    case 'answersAfter':
      return async (c, next) => {
        await next();
        return c.text(`after${n}`, 202);
      };
    case 'sets':
      return async (c, next) => {
        c.res = c.text(`set${n}`, 203);
        await next();
        log(c, `out${n}:${seen(c)}`);
      };
    case 'stops':
      return async (c) => {
        log(c, `stop${n}`);
      };
  }
}

const onError: ErrorHandler = (err, c) => {
  log(c, `onError:${err.message}`);
  return c.text(`error:${err.message}`, 500);
};

function app(): Hono {
  const a = new Hono();
  a.onError(onError);
  a.notFound((c) => {
    log(c, 'notFound');
    return c.text('not found', 404);
  });
  return a;
}

/** The levels as Hono's separate entries (its compose), and as one entry through oneHandler. */
function apps(kinds: Kind[][]): { compose: Hono; one: Hono } {
  const levels = kinds.map((l, k) => l.map((kind, s) => mw(`${k}.${s}`, kind)));
  const compose = app();
  levels.forEach((l, k) => (k < levels.length - 1 ? compose.use('/', chain(...l)) : compose.get('/', chain(...l))));
  const one = app();
  one.get('/', oneHandler(onError, ...levels));
  return { compose, one };
}

type Outcome = { log: string[]; status?: number; body?: string; thrown?: unknown };

async function outcome(a: Hono, n: string): Promise<Outcome> {
  logs.set(n, []);
  try {
    const res: unknown = await a.request('/', { headers: { 'x-n': n } });
    // Hono's compose hands back the Context itself when a level returns next()'s promise and
    // nothing answered (it sets c.res to it): the same oddity either way, not a Response to read.
    if (!(res instanceof Response)) return { log: logs.get(n)!, body: `not a Response: ${res?.constructor.name}` };
    return { log: logs.get(n)!, status: res.status, body: await res.text() };
  } catch (thrown) {
    return { log: logs.get(n)!, thrown };
  }
}

describe('oneHandler', () => {
  it('answers as Hono answers the same levels as separate entries, for any mix, with requests interleaved', async () => {
    const level = fc.array(fc.constantFrom<Kind>(...KINDS), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(fc.array(level, { minLength: 2, maxLength: 4 }), fc.integer({ min: 1, max: 3 }), async (kinds, parallel) => {
        const { compose, one } = apps(kinds);
        const runs = Array.from({ length: parallel }, (_, i) => [outcome(compose, `c${i}`), outcome(one, `o${i}`)] as const);
        for (const [want, got] of runs) expect(await got).toEqual(await want);
      }),
      { numRuns: 400 },
    );
  });

  it.each<[string, Kind[][], Partial<Outcome>]>([
    // The route's handler throws: its own level answers, and each level above sees that answer.
    ['an error at the last level', [['async'], ['sync', 'async'], ['throws']], { status: 500, body: 'error:boom2.0' }],
    // The middle level refuses (auth, say): the outer level sees the refusal after its next().
    ['an error in the middle', [['async'], ['async', 'rejects'], ['answers']], { status: 500, body: 'error:late1.1' }],
    ['nothing answers', [['sync'], ['async'], ['sync']], { status: 404, body: 'not found' }],
    ['a level stops without an answer', [['async'], ['stops']], { status: 500, body: expect.stringContaining('error:Context is not finalized') }],
    ['an answer set before next()', [['sets'], ['async']], { status: 203, body: 'set0.0' }],
  ])('%s', async (_, kinds, want) => {
    const { compose, one } = apps(kinds);
    const got = await outcome(one, 'x');
    expect(got).toMatchObject(want);
    expect(got).toEqual(await outcome(compose, 'y'));
  });

  it('is one entry of the router for its route, where Hono would match one per level', () => {
    const { compose, one } = apps([['sync'], ['sync'], ['answers']]);
    expect(compose.router.match('GET', '/')[0]).toHaveLength(3);
    expect(one.router.match('GET', '/')[0]).toHaveLength(1);
  });
});
