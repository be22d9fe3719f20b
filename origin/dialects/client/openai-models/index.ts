import type { Context } from 'hono';
import { errors } from '../../../../shared/errors.ts';
import { modelAllowed } from '../../../../shared/model-allow-list.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { DialectDeps } from '../../deps.ts';
import type { OriginEnv } from '../../../core/env.ts';

export interface OpenAiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/**
 * Every model of every reachable upstream, then the aliases, each once and only those the
 * tenant may use (auth.mode=keys; the edge filters its own); 503 only when no upstream answers.
 */
export async function visibleModels(deps: DialectDeps, c: Context<OriginEnv>): Promise<OpenAiModel[]> {
  const { models, failures } = await deps.registry.allModels();
  if (models.length === 0 && failures.length > 0) throw failures[0]!;
  const seen = new Set<string>();
  const allowed = c.get('tenant')?.models ?? [];
  const data: OpenAiModel[] = [];
  for (const m of models) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    if (!modelAllowed(allowed, m.id)) continue;
    const modified = typeof m.raw?.modified_at === 'string' ? Date.parse(m.raw.modified_at) : NaN;
    data.push({ id: m.id, object: 'model', created: Number.isNaN(modified) ? 0 : Math.floor(modified / 1000), owned_by: m.upstream });
  }
  // Personas are models to a client: "plan", "fast", "code" appear beside the real names.
  for (const alias of deps.router?.aliasNames() ?? []) {
    if (!seen.has(alias) && modelAllowed(allowed, alias)) data.push({ id: alias, object: 'model', created: 0, owned_by: 'puerta-alias' });
  }
  return data;
}

/** `GET /v1/models`. */
export function listModels(deps: DialectDeps) {
  return async (c: Context<OriginEnv>): Promise<Response> => sendJson(c, { object: 'list', data: await visibleModels(deps, c) });
}

/** `GET /v1/models/{model}`: one model of the list, or 404. */
export function retrieveModel(deps: DialectDeps) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const id = c.req.param('model') ?? '';
    return sendJson(c, findModel(deps, await visibleModels(deps, c), id));
  };
}

/**
 * `id` in the list, or a 404 naming it. A name its engine resolves to another (Ollama: `x` is
 * `x:latest`; the upstream dialect's canonicalModel) finds that model too.
 */
export function findModel(deps: Pick<DialectDeps, 'registry'>, models: readonly OpenAiModel[], id: string): OpenAiModel {
  const resolvedBy = (m: OpenAiModel) => deps.registry.upstreams.find((u) => u.name === m.owned_by)?.dialect.canonicalModel(id);
  const found = models.find((m) => m.id === id) ?? models.find((m) => resolvedBy(m) === m.id);
  if (!found) throw errors.modelNotFound(id);
  return found;
}
