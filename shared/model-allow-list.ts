/**
 * A tenant's model allow-list (`TenantRecord.models`), enforced the same way by the edge and by
 * the origin in `auth.mode: keys`: requests naming a model outside it are refused, and the model
 * lists (`GET /v1/models`, `/api/tags`, `/api/ps`) show only what the tenant may call, so the
 * names of other tenants' models do not leak.
 */

/** Ollama reads a name without a tag as `:latest` (a `/` in a registry host is not a tag). */
function withTag(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1).includes(':') ? name : `${name}:latest`;
}

/** Empty allows every model; otherwise the exact name, or the same Ollama model (`x` = `x:latest`). */
export function modelAllowed(allowed: readonly string[], model: string): boolean {
  if (allowed.length === 0 || allowed.includes(model)) return true;
  const tagged = withTag(model);
  return allowed.some((a) => withTag(a) === tagged);
}

/** The routes whose answer is a list of models, and where each lists its names. */
export const MODEL_LIST_PATHS = new Set(['/v1/models', '/api/tags', '/api/ps']);

/**
 * The list document of `path` with only the allowed models left: OpenAI's `{"data":[{"id"}]}`
 * on /v1/models, Ollama's `{"models":[{"name","model"}]}` on /api/tags and /api/ps. Returns null
 * when the document is not that shape, so a caller can refuse it rather than pass it unfiltered.
 */
export function filterModelList(path: string, doc: unknown, allowed: readonly string[]): unknown {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return null;
  const field = path === '/v1/models' ? 'data' : 'models';
  const list = (doc as Record<string, unknown>)[field];
  if (!Array.isArray(list)) return null;
  const kept = list.filter((m: unknown) => {
    if (!m || typeof m !== 'object') return false;
    const o = m as { id?: unknown; name?: unknown; model?: unknown };
    const name = field === 'data' ? o.id : (o.name ?? o.model);
    return typeof name === 'string' && modelAllowed(allowed, name);
  });
  return { ...(doc as Record<string, unknown>), [field]: kept };
}
