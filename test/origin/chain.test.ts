/**
 * Several middleware as one (origin/http/chain.ts): each runs in order, the app's own next after
 * the last, code after a next() runs on the way back, and a throw or an answer without next()
 * stops the rest, whatever mix of sync and async middleware, with requests interleaved.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Hono, type MiddlewareHandler } from 'hono';
import { chain } from '../../origin/http/chain.ts';

type Kind = 'sync' | 'async' | 'throws' | 'stops';

/** A middleware of one kind that writes what it did to the request's own log. */
function mw(n: number, kind: Kind): MiddlewareHandler<{ Variables: { log: string[] } }> {
  switch (kind) {
    case 'sync':
      return (c, next) => {
        c.get('log').push(`in${n}`);
        return next();
      };
    case 'async':
      return async (c, next) => {
        await Promise.resolve();
        c.get('log').push(`in${n}`);
        await next();
        c.get('log').push(`out${n}`);
      };
    case 'throws':
      return () => {
        throw new Error(`boom${n}`);
      };
    case 'stops':
      return async (c) => {
        c.get('log').push(`stop${n}`);
      };
  }
}

/** What one request through the chain should log, computed without the chain. */
function expected(kinds: Kind[]): { log: string[]; reached: boolean; error?: string } {
  const log: string[] = [];
  const outs: string[] = [];
  for (const [n, k] of kinds.entries()) {
    if (k === 'throws') return { log, reached: false, error: `boom${n}` };
    if (k === 'stops') return { log: [...log, `stop${n}`, ...outs], reached: false };
    log.push(`in${n}`);
    if (k === 'async') outs.unshift(`out${n}`);
  }
  return { log: [...log, 'app', ...outs], reached: true };
}

describe('chain', () => {
  it('runs like the same middleware in sequence, for any mix, with requests interleaved', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom<Kind>('sync', 'async', 'throws', 'stops'), { minLength: 2, maxLength: 6 }), fc.integer({ min: 1, max: 4 }), async (kinds, parallel) => {
        const logs: string[][] = [];
        const app = new Hono<{ Variables: { log: string[] } }>();
        app.onError((err, c) => c.text(err.message, 500));
        app.use('*', async (c, next) => {
          const log: string[] = [];
          logs.push(log);
          c.set('log', log);
          await next();
        });
        app.use('*', chain(...kinds.map((k, n) => mw(n, k))));
        app.get('/', (c) => {
          c.get('log').push('app');
          return c.text('ok');
        });
        const answers = await Promise.all(Array.from({ length: parallel }, () => app.request('/')));
        const want = expected(kinds);
        for (const [i, res] of answers.entries()) {
          expect(logs[i]).toEqual(want.log);
          if (want.error) {
            expect(res.status).toBe(500);
            expect(await res.text()).toBe(want.error);
          } else if (want.reached) expect(await res.text()).toBe('ok');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is the middleware itself when there is one', () => {
    const only = mw(0, 'sync');
    expect(chain(only)).toBe(only);
  });
});
