/**
 * The tenant's model allow-list for requests that name a model, when the origin enforces it
 * itself (auth.mode=keys: no edge in front to do it). Same rule and answer as the edge
 * (edge/forward/forward.ts): 404 model_not_found before any queue, quota or upstream work, in
 * the caller's dialect (origin/http/error-handler.ts). The model lists are filtered by their routes.
 */
import type { MiddlewareHandler } from 'hono';
import { errors } from '../../shared/errors.ts';
import { engineShapeFor } from '../../shared/engine-shapes.ts';
import { parseJsonBody } from '../../shared/json-body.ts';
import { modelAllowed, requestedModel } from '../../shared/model-allow-list.ts';
import { modelInPath } from '../../shared/routes.ts';
import type { OriginEnv } from '../core/env.ts';

export function modelAllowList(): MiddlewareHandler<OriginEnv> {
  return async (c, next) => {
    const allowed = c.get('tenant')?.models;
    // A route with the model in its path (Gemini's) serves that one, whatever a body says.
    const inPath = allowed && allowed.length > 0 && c.req.method === 'POST' ? modelInPath(c.req.method, c.req.path) : null;
    if (inPath !== null) {
      if (!modelAllowed(allowed!, inPath)) throw errors.modelNotFound(inPath, allowed);
    } else if (allowed && allowed.length > 0 && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      // Hono caches the text, so the route reads the same body again without a second read.
      // A body that does not parse is left for the route's 400, which says why.
      const json = parseJsonBody(await c.req.text(), engineShapeFor(c.req.path));
      const named = json.ok ? requestedModel(json.value) : { ok: true as const, model: null };
      if (!named.ok) throw errors.badRequest(named.message, named.field, 'invalid_model');
      if (named.model !== null && !modelAllowed(allowed, named.model)) throw errors.modelNotFound(named.model, allowed);
    }
    await next();
  };
}
