/**
 * The tenant's model allow-list for requests that name a model, when the origin enforces it
 * itself (auth.mode=keys: no edge in front to do it). Same rule and answer as the edge
 * (edge/forward/forward.ts): 404 model_not_found before any queue, quota or upstream work, in
 * the caller's dialect (origin/http/error-handler.ts). The model lists are filtered by their routes.
 */
import type { MiddlewareHandler } from 'hono';
import { isUpload } from '../../shared/batch-paths.ts';
import { errors } from '../../shared/errors.ts';
import { engineShapeFor } from '../../shared/engine-shapes.ts';
import { parseJsonBody } from '../../shared/json-body.ts';
import { modelAllowed, requestedModel } from '../../shared/model-allow-list.ts';
import type { OriginEnv } from '../types.ts';

export function modelAllowList(): MiddlewareHandler<OriginEnv> {
  return async (c, next) => {
    const allowed = c.get('tenant')?.models;
    // A batch input file names its models line by line: the batch runner checks each line.
    if (allowed && allowed.length > 0 && c.req.method !== 'GET' && c.req.method !== 'HEAD' && !isUpload(c.req.method, c.req.path)) {
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
