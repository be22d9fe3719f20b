/**
 * The edge as one portable Hono app; the order of `use` reads like the request path:
 * request id → CORS (preflight answered here) → auth → residency → rate limit → forward.
 * Runtime specifics arrive through `c.env.platform` (edge/platform.ts).
 */
import { Hono } from 'hono';
import { errors, toPuertaError } from '../shared/errors.ts';
import { authenticate } from './auth/middleware.ts';
import { cors } from './cors.ts';
import { forward } from './forward/forward.ts';
import { rateLimit } from './limits/middleware.ts';
import type { EdgeEnv } from './platform.ts';
import { requestContext } from './request-context.ts';
import { residency } from './residency/policy.ts';

export function createEdgeApp(): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();

  app.use('*', requestContext());
  app.use('*', cors());

  app.get('/healthz', (c) => c.json({ status: 'ok', runtime: c.env.platform.runtime }));

  for (const prefix of ['/v1/*', '/api/*']) {
    app.use(prefix, authenticate(), residency(), rateLimit());
    app.all(prefix, forward);
  }

  app.notFound((c) => {
    const err = errors.notFound(`no route for ${c.req.method} ${new URL(c.req.url).pathname}; this gateway serves /v1/* (OpenAI) and /api/* (Ollama)`);
    return err.toResponse(c.get('requestId'));
  });

  app.onError((e, c) => {
    const err = toPuertaError(e);
    if (err.status >= 500 && err.cause !== undefined) {
      // Internal failures only: their message is hidden from the client, so it goes to the log.
      console.error(JSON.stringify({ msg: 'edge error', request_id: c.get('requestId'), error: String(err.cause) }));
    }
    return err.toResponse(c.get('requestId'));
  });

  return app;
}
