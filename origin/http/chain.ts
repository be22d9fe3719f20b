import type { Env, MiddlewareHandler } from 'hono';

/**
 * Several middleware as one: one router entry and one dispatch, where each `app.use` would add
 * an entry the router matches on every request and an async hop of Hono's compose. They run in
 * order, each one's `next()` running the rest and then the app's own `next`. Chained middleware
 * answer by throwing (the app's error handler answers, as for any middleware), never by returning
 * a Response of their own: only the chain's first could hand one back to the app.
 */
export function chain<E extends Env>(...mws: Array<MiddlewareHandler<E>>): MiddlewareHandler<E> {
  if (mws.length === 1) return mws[0]!;
  const n = mws.length;
  return (c, next) => {
    // One `next` for every step of this request (a closure per step would be one per middleware):
    // each call moves on by one; a middleware calls its next() once, as Hono's compose requires.
    let i = 0;
    const step = (): Promise<void> => (i === n ? next() : (mws[i++]!(c, step) as Promise<void>));
    return step();
  };
}
