/**
 * Request bodies are parsed here, at the edge and at the origin alike, so both refuse the same
 * bodies the same way. Nesting is bounded before parsing: a body of a few thousand `[` once
 * overflowed the stack of code that walks the parsed value (a 500); past the limit it is a 400
 * that names the limit, on every route.
 */

/** Deepest nesting of arrays and objects accepted; real requests (tool schemas included) stay far below. */
export const MAX_JSON_DEPTH = 64;

export type ParsedJson = { ok: true; value: unknown } | { ok: false; code: 'invalid_json' | 'json_too_deep'; message: string };

/** Whether `text` nests arrays/objects deeper than `max` (string contents are skipped). One pass, no allocation. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) depth--;
  }
  return false;
}

export function parseJsonBody(text: string, maxDepth = MAX_JSON_DEPTH): ParsedJson {
  if (nestsDeeperThan(text, maxDepth)) {
    return { ok: false, code: 'json_too_deep', message: `request body nests arrays/objects deeper than the limit of ${maxDepth} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, code: 'invalid_json', message: `request body is not valid JSON: ${(err as Error).message}` };
  }
}
