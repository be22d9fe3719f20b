/**
 * Gemini's schemas (a tool's `parameters`, `responseSchema`: OpenAPI 3.0's subset, types in
 * upper case, `nullable`) and its JSON Schema fields (`parametersJsonSchema`,
 * `responseJsonSchema`) as the JSON Schema engines read. Rebuilt keyword by keyword, known
 * keywords only: a key the engine could read as a keyword in another spelling (Go's JSON
 * matches `Type` to `type`) never reaches it.
 */

type Schema = Record<string, unknown>;

/** Keywords whose value is a schema, a list of schemas, or a map of them. */
const ONE = new Set(['items', 'additionalProperties', 'not']);
const MANY = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);
const MAP = new Set(['properties', '$defs', 'definitions']);
/** Keywords copied as they are. */
const PLAIN = new Set([
  'description', 'title', 'enum', 'const', 'format', 'required', 'default', 'examples', 'example',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties',
  '$ref', '$schema', '$id', '$anchor',
]);

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `OBJECT` → `object`; TYPE_UNSPECIFIED names no type. */
function typeOf(t: unknown): unknown {
  if (typeof t === 'string') return t === 'TYPE_UNSPECIFIED' ? undefined : t.toLowerCase();
  if (Array.isArray(t)) return t.map((x) => (typeof x === 'string' ? x.toLowerCase() : x));
  return undefined;
}

export function toJsonSchema(s: unknown): Schema {
  if (!isObject(s)) return {};
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'type') {
      const t = typeOf(v);
      if (t !== undefined) out.type = t;
    } else if (ONE.has(k)) out[k] = typeof v === 'boolean' ? v : toJsonSchema(v);
    else if (MANY.has(k) && Array.isArray(v)) out[k] = v.map(toJsonSchema);
    else if (MAP.has(k) && isObject(v)) out[k] = Object.fromEntries(Object.entries(v).map(([name, p]) => [name, toJsonSchema(p)]));
    else if (PLAIN.has(k)) out[k] = v;
    // nullable, propertyOrdering and anything else: nothing an engine's schema reader uses.
  }
  if (s.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}
