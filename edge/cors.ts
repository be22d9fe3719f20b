import type { MiddlewareHandler } from 'hono';
import { cors as honoCors } from 'hono/cors';
import type { EdgeEnv } from './platform.ts';

/**
 * CORS for browser clients (EventSource, fetch from a web app). Preflights are answered here,
 * before auth, because browsers never send credentials on OPTIONS. Origins not on the list get no
 * CORS headers at all, so the browser refuses; non-browser clients are unaffected.
 */
export function cors(): MiddlewareHandler<EdgeEnv> {
  return async (c, next) => {
    const allowed = c.env.platform.config.CORS_ALLOWED_ORIGINS;
    if (allowed.length === 0) return next();
    const any = allowed.includes('*');
    const mw = honoCors({
      origin: (origin) => (any ? '*' : allowed.includes(origin) ? origin : null),
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      // No fixed list: the OpenAI SDK sends a family of x-stainless-* headers that changes by
      // version, so the requested headers are echoed; the origin check above is the gate.
      exposeHeaders: [
        'x-request-id',
        'retry-after',
        'x-ratelimit-limit-requests',
        'x-ratelimit-remaining-requests',
        'x-ratelimit-reset-requests',
        // The edge's and the origin's phases, for a browser client (the console's Try it page).
        'server-timing',
      ],
      maxAge: c.env.platform.config.CORS_MAX_AGE_SECONDS,
    });
    return mw(c, next);
  };
}
