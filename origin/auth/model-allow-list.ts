/**
 * The tenant's model allow-list for requests that name a model, when the origin enforces it
 * itself (auth.mode=keys: no edge in front to do it). Same rule and answer as the edge
 * (edge/forward/forward.ts): 404 model_not_found before any queue, quota or upstream work, in
 * the caller's dialect (origin/http/error-handler.ts). The model lists are filtered by their routes.
 */
import type { MiddlewareHandler } from 'hono';
import { errors } from '../../shared/errors.ts';
import { modelAllowed } from '../../shared/model-allow-list.ts';
import type { OriginEnv } from '../core/env.ts';

export function modelAllowList(): MiddlewareHandler<OriginEnv> {
  return (c, next) => {
    const allowed = c.get('tenant')?.models;
    // The model as the body names it, read once with the body (origin/http/request-facts.ts). A
    // body that does not parse names none: the route's 400 says why.
    const named = allowed && allowed.length > 0 ? c.get('facts')?.named : undefined;
    if (named) {
      if (!named.ok) throw errors.badRequest(named.message, named.field, 'invalid_model');
      if (named.model !== null && !modelAllowed(allowed!, named.model)) throw errors.modelNotFound(named.model, allowed!);
    }
    return next();
  };
}
