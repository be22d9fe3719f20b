/**
 * A tenant's model allow-list (`TenantRecord.models`), enforced the same way by the edge and by
 * the origin in `auth.mode: keys`: requests naming a model outside it are refused, and the model
 * lists (the routes whose table entry has a `modelList`) show only what the tenant may call, so
 * the names of other tenants' models do not leak.
 */
import { modelListOf } from './routes.ts';

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

/** What a body names as its model: a name, none (the route decides), or a field that names nothing. */
export type RequestedModel = { ok: true; model: string | null } | { ok: false; field: 'model' | 'name'; message: string };

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? 'an empty string' : `a ${typeof v}`;
}

/**
 * The model a parsed request body names: `model`, or `name`, which Ollama's /api/show still
 * accepts in its place when `model` is absent (and only then, as Ollama reads them). The edge and
 * the origin both call this on the same parsed body, and the origin's routes take the model from
 * it too, so what is checked is what is served. A `model` (or, without one, a `name`) that is
 * present but not a non-empty string names nothing a check could judge: it is refused, never
 * skipped. A body that is not a JSON object names no model; its route refuses it.
 */
export function requestedModel(body: unknown): RequestedModel {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: true, model: null };
  const o = body as { model?: unknown; name?: unknown };
  const field = o.model !== undefined ? 'model' : o.name !== undefined ? 'name' : null;
  if (field === null) return { ok: true, model: null };
  const v = o[field];
  if (typeof v === 'string' && v.length > 0) return { ok: true, model: v };
  return { ok: false, field, message: `${field} must be a non-empty string naming a model, got ${describe(v)}` };
}

/**
 * The list document of `path` with only the allowed models left, read the way the route table
 * says that route lists its models (`modelList`: the array's field, the item's naming field, a
 * resource prefix such as `models/`). Returns null when the document is not that shape, or the
 * path lists no models, so a caller can refuse it rather than pass it unfiltered.
 */
export function filterModelList(path: string, doc: unknown, allowed: readonly string[]): unknown {
  const how = modelListOf(path);
  if (!how || !doc || typeof doc !== 'object' || Array.isArray(doc)) return null;
  const list = (doc as Record<string, unknown>)[how.field];
  if (!Array.isArray(list)) return null;
  const kept = list.filter((m: unknown) => {
    if (!m || typeof m !== 'object') return false;
    const o = m as Record<string, unknown>;
    const listed = how.names.map((n) => o[n]).find((v) => v !== undefined && v !== null);
    const name = how.prefix && typeof listed === 'string' && listed.startsWith(how.prefix) ? listed.slice(how.prefix.length) : listed;
    return typeof name === 'string' && modelAllowed(allowed, name);
  });
  return { ...(doc as Record<string, unknown>), [how.field]: kept };
}
