import type { MiddlewareHandler } from 'hono';
import { engineShapeFor } from '../../shared/engine-shapes.ts';
import { parseJsonBody } from '../../shared/json-body.ts';
import { requestedModel } from '../../shared/model-allow-list.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import { sessionFromHeaders } from '../routing/session-key.ts';
import type { OriginEnv } from '../types.ts';

/**
 * Right after auth and the body limit, the record learns who is calling and which model the
 * body names (the route table says which routes name one). This is the only writer of
 * `rec.tenant` and `rec.publicModel`: admission is fair between tenants from here on, and a
 * request refused later (quota, allow-list, validation) is still counted under its model.
 */
export function requestFacts(deps: Pick<OriginDeps, 'router' | 'registry'>): MiddlewareHandler<OriginEnv> {
  return async (c, next) => {
    const rec = c.get('record');
    const tenant = c.get('tenant');
    if (tenant) rec.tenant = tenant;
    if (rec.routeEntry?.namesModel && c.req.method === 'POST') {
      // Hono caches the text: the route reads the same body again without a second read. A body
      // that does not parse, or names no model, is left for the allow-list's or the route's 400.
      const json = parseJsonBody(await c.req.text(), engineShapeFor(c.req.path));
      const named = json.ok ? requestedModel(json.value) : undefined;
      if (named?.ok && named.model !== null) {
        rec.publicModel = named.model;
        // Routing confirms it later; a request refused before that (quota, allow-list) is still
        // written under its name when the name is one this origin serves.
        rec.modelKnown = deps.router ? deps.router.knows(named.model) : deps.registry.listed(named.model);
      }
      // An agent's session header names the conversation (a body without one is keyed by routing).
      if (deps.router?.affine) rec.session = sessionFromHeaders(rec.tenant.id, (name) => c.req.header(name));
    }
    await next();
  };
}
