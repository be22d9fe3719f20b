import type { Context } from 'hono';
import { modelAllowed } from '../../../../shared/model-allow-list.ts';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { DialectDeps } from '../../deps.ts';
import type { UpstreamClient } from '../../../upstream/client.ts';
import type { OriginEnv } from '../../../core/env.ts';

/** The upstreams that speak Ollama's own API, which these routes relay. */
const ollamas = (deps: DialectDeps): UpstreamClient[] => deps.registry.upstreams.filter((u) => u.dialect.wire === 'ollama');

/** `GET /api/tags`, `/api/ps` (the union over every Ollama upstream) and `/api/version`. */
export function ollamaList(deps: DialectDeps, route: RouteEntry) {
  return route.path === '/api/version' ? nativeVersion(deps) : nativeList(deps, route.path);
}

/** `GET /api/tags` and `GET /api/ps`: the union over every Ollama upstream. */
function nativeList(deps: DialectDeps, path: string) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const results = await Promise.allSettled(
      ollamas(deps).map((u) => u.json<{ models?: Array<{ name: string }> }>('GET', path, undefined, AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(u.cfg.metadataTimeoutMs)]))),
    );
    const models: Array<{ name: string }> = [];
    const seen = new Set<string>();
    const allowed = c.get('tenant')?.models ?? [];
    let ok = 0;
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      ok++;
      for (const m of r.value.models ?? []) {
        // A tenant with an allow-list sees only its models (auth.mode=keys; the edge filters its own).
        if (!seen.has(m.name) && modelAllowed(allowed, m.name)) {
          seen.add(m.name);
          models.push(m);
        }
      }
    }
    if (ok === 0 && results.length > 0) {
      const reason = results[0]!.status === 'rejected' ? (results[0] as PromiseRejectedResult).reason : undefined;
      return sendJson(c, { error: `no Ollama upstream answered ${path}: ${(reason as Error | undefined)?.message ?? 'unknown'}` }, 503, { 'retry-after': '5' });
    }
    return sendJson(c, { models });
  };
}

/** `GET /api/version`: the first reachable Ollama's version (clients use it as a liveness probe). */
function nativeVersion(deps: DialectDeps) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    let lastErr: unknown;
    for (const u of ollamas(deps)) {
      try {
        return sendJson(c, await u.json<{ version: string }>('GET', '/api/version', undefined, AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(u.cfg.metadataTimeoutMs)])));
      } catch (err) {
        lastErr = err;
      }
    }
    return sendJson(c, { error: `no Ollama upstream answered /api/version: ${(lastErr as Error | undefined)?.message ?? 'none configured'}` }, 503, { 'retry-after': '5' });
  };
}
