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

/**
 * The model a request body names: `model`, or `name`, which Ollama's /api/show still accepts in
 * its place. Every body is parsed as JSON whatever its content-type (the origin's routes do the
 * same, so a label must not let a body past the allow-list); one that does not parse names no
 * model and is left for the route to refuse with its 400.
 */
export function requestedModel(text: string): string | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as { model?: unknown; name?: unknown };
      if (typeof o.model === 'string') return o.model;
      if (o.model === undefined && typeof o.name === 'string') return o.name;
    }
  } catch {
    // Not JSON: no model named here.
  }
  return null;
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
