import type { Context, Env, ErrorHandler, Handler, MiddlewareHandler, Next } from 'hono';

type Step<E extends Env> = MiddlewareHandler<E> | Handler<E>;

/** Hono's words for an answer that never came (hono-base.ts), so the error reads the same. */
const NOT_FINALIZED = 'Context is not finalized. Did you forget to return a Response object or `await next()`?';
const DONE: Promise<void> = Promise.resolve();

/**
 * Hono's compose for one level (hono/compose.ts): an Error from the level or anything under it
 * that the level lets through is answered by the app's error handler here, as `c.error` and
 * `c.res`, so the levels above see an answer after their `await next()`; anything else thrown
 * goes up as it came. A level's own answer becomes `c.res` unless one was already set. A level
 * resolves to the Context, as compose's do; the outermost to the request's answer, as Hono's
 * general path ends.
 */
async function level<E extends Env>(mw: Step<E>, c: Context<E>, next: Next, onError: ErrorHandler<E>, outermost: boolean): Promise<Context<E> | Response> {
  let res: Response | void;
  let isError = false;
  try {
    res = (await mw(c, next)) as Response | void;
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    c.error = err;
    res = await onError(err, c);
    isError = true;
  }
  if (res && (!c.finalized || isError)) c.res = res;
  if (!outermost) return c;
  if (!c.finalized) throw new Error(NOT_FINALIZED);
  return c.res;
}

/**
 * What Hono does for a request that several `app.use`/`app.on` entries match, as one handler for
 * one router entry: Hono calls a lone match directly, where several take its general path (a
 * compose per request, an async hop and a try/catch per entry, an async wrapper around it all).
 * Each level is what was an entry of its own (a middleware, the steps of a `chain`, the route's
 * handler). Errors are answered at the level Hono would answer them, each level after its
 * `await next()` sees the answer in `c.res`, nothing answering is Hono's not-found and a request
 * left without an answer is Hono's "not finalized" error. As in `chain`, one `next` serves every
 * step of a request, and each step calls it at most once.
 */
export function oneHandler<E extends Env>(onError: ErrorHandler<E>, ...levels: ReadonlyArray<ReadonlyArray<Step<E>>>): Handler<E> {
  const steps: Array<Step<E>> = [];
  // Whether a step starts a level: it runs under its own error boundary, as a compose entry does.
  const opens: boolean[] = [];
  for (const l of levels) {
    for (let k = 0; k < l.length; k++) {
      steps.push(l[k]!);
      opens.push(k === 0);
    }
  }
  const n = steps.length;
  return (c, next) => {
    let i = 0;
    // Past the last step is the app's own next (the not-found answer), only while nothing answered.
    const step = (): Promise<void> => {
      const at = ++i;
      if (at === n) return c.finalized ? DONE : next();
      return (opens[at] ? level(steps[at]!, c, step, onError, false) : steps[at]!(c, step)) as Promise<void>;
    };
    return level(steps[0]!, c, step, onError, true) as Promise<Response>;
  };
}
