import type { Context } from 'hono';
import { modelAllowed } from '../../../../shared/model-allow-list.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { OriginDeps } from '../../../pipeline/deps.ts';
import type { OriginEnv } from '../../../types.ts';

/** `GET /v1/models`: every model of every reachable upstream, and the aliases; 503 only when none answers. */
export function listModels(deps: OriginDeps) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const { models, failures } = await deps.registry.allModels();
    if (models.length === 0 && failures.length > 0) throw failures[0]!;
    const seen = new Set<string>();
    const allowed = c.get('tenant')?.models ?? [];
    const data = [];
    for (const m of models) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      // A tenant with an allow-list sees only its models (auth.mode=keys; the edge filters its own).
      if (!modelAllowed(allowed, m.id)) continue;
      const modified = typeof m.raw?.modified_at === 'string' ? Date.parse(m.raw.modified_at) : NaN;
      data.push({ id: m.id, object: 'model', created: Number.isNaN(modified) ? 0 : Math.floor(modified / 1000), owned_by: m.upstream });
    }
    // Personas are models to a client: "plan", "fast", "code" appear beside the real names.
    for (const alias of deps.router?.aliasNames() ?? []) {
      if (!seen.has(alias) && modelAllowed(allowed, alias)) data.push({ id: alias, object: 'model', created: 0, owned_by: 'puerta-alias' });
    }
    return sendJson(c, { object: 'list', data });
  };
}
