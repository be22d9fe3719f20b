/**
 * Request bodies are parsed here, at the edge and at the origin alike, so both refuse the same
 * bodies the same way. Nesting is bounded before parsing: a body of a few thousand `[` once
 * overflowed the stack of code that walks the parsed value (a 500); past the limit it is a 400
 * that names the limit, on every route.
 *
 * Keys are checked in the same pass, because the engine does not read JSON the way JavaScript
 * does: Ollama decodes with Go's encoding/json, which matches a key to a struct field ignoring
 * letter case (and folds U+017F ſ to s, U+212A K to k) and lets the last match win, while
 * JSON.parse keeps `model` and `Model` apart and silently keeps the last of two `model`s. A body
 * the gateway validated could then run a model the tenant may not call. So, in any object:
 * - a key may appear once (JSON.parse hides duplicates; they are seen here, in the text);
 * - two keys may not differ only in letter case (as Go folds it);
 * - where the engine decodes into a struct (`EngineShape`, per route), a key that folds to one of
 *   the struct's fields must be spelled exactly as that field.
 * Anything else is a 400 naming the key (`ambiguous_key`). The origin then forwards bodies
 * serialised from the parsed value, so escapes (`"\u004dodel"`) and a second spelling cannot
 * survive to the engine (docs/wire-contracts.md).
 */

/** Deepest nesting of arrays and objects accepted; real requests (tool schemas included) stay far below. */
export const MAX_JSON_DEPTH = 64;

export type ParsedJson =
  | { ok: true; value: unknown }
  | { ok: false; code: 'invalid_json' | 'json_too_deep' | 'ambiguous_key'; message: string; /** The key's path (`messages[0].Role`), for ambiguous keys. */ field?: string };

/**
 * How the engine decodes an object position: a struct (its fields matched ignoring case, each
 * field's own shape, null when not an object or array the engine decodes further), a map (keys
 * exact; every value has `values`' shape) or a list (every item has `items`' shape).
 */
export type EngineShape =
  | { kind: 'struct'; fields: Record<string, EngineShape | null>; /** fold(field) → field, built by `struct()`. */ byFold: Map<string, string> }
  | { kind: 'map'; values: EngineShape | null }
  | { kind: 'list'; items: EngineShape | null };

/**
 * Go's key folding where it can reach a struct field, whose names are ASCII: two keys fold
 * together when they are equal with ASCII letters, ſ (U+017F) as s and K (U+212A) as k, in one
 * case. Other characters are left as they are: no field name holds them, and in maps Go compares
 * keys exactly. Folded to lower case, so the usual key comes back as it is, without a copy.
 */
export function foldKey(key: string): string {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c === 0x17f || c === 0x212a) {
      return key.replace(/[A-Z\u017f\u212a]/g, (ch) => (ch === '\u017f' ? 's' : ch === '\u212a' ? 'k' : ch.toLowerCase()));
    }
  }
  return key;
}

/** Whether `text` nests arrays/objects deeper than `max` (string contents are skipped). One pass, no allocation. */
export function nestsDeeperThan(text: string, max: number): boolean {
  return scan(text, max, null) === TOO_DEEP;
}

const TOO_DEEP = 1;
const AMBIGUOUS = 2;

/**
 * Scratch state of `scan`, per nesting level, reused by every call (the scan is synchronous): the
 * container's kind and engine shape, the key or index being read in it, and the keys seen in it
 * by their fold. Levels are set up as the scan enters them, so nothing is allocated per object
 * beyond the keys themselves.
 */
const levelIsObject: boolean[] = [];
const levelShape: Array<EngineShape | null> = [];
const levelKey: string[] = [];
const levelIndex: number[] = [];
/**
 * Folded keys of the object at each level, and the keys as sent, side by side (the first
 * `levelCount` of each); a Map once an object outgrows a short list. The lists are counted, not
 * emptied: emptying an array drops its storage, and every object would allocate it again.
 */
const levelFolds: string[][] = [];
const levelKeys: string[][] = [];
const levelCount: number[] = [];
const levelBig: Array<Map<string, string> | null> = [];
const SHORT_OBJECT = 16;
/** The first key problem of the last scan: the key's path and what was wrong. */
let problem = { field: '', message: '' };

/** The shape of a container opened inside the one at `depth` (0: the body itself). */
function childShape(depth: number): EngineShape | null {
  const parent = levelShape[depth] ?? null;
  if (depth === 0 || !parent) return parent;
  if (parent.kind === 'struct') {
    // Own fields only: a key called `constructor` is no field.
    const key = levelKey[depth]!;
    return levelIsObject[depth] && Object.hasOwn(parent.fields, key) ? parent.fields[key]! : null;
  }
  return parent.kind === 'map' ? parent.values : parent.items;
}

function pathTo(depth: number): string {
  let out = '';
  for (let d = 1; d <= depth; d++) {
    if (levelIsObject[d]) out += out ? `.${levelKey[d]}` : levelKey[d];
    else out += `[${levelIndex[d]}]`;
  }
  return out;
}

/** Records what is wrong with `key` in the object at `depth`, if anything; true when something is. */
function keyProblem(key: string, depth: number): boolean {
  const folded = foldKey(key);
  levelKey[depth] = key;
  const folds = levelFolds[depth]!;
  const keys = levelKeys[depth]!;
  let big = levelBig[depth];
  let before: string | undefined;
  const count = levelCount[depth]!;
  if (big) before = big.get(folded);
  else {
    for (let at = 0; at < count; at++) {
      if (folds[at] === folded) {
        before = keys[at];
        break;
      }
    }
  }
  if (before !== undefined) {
    problem = {
      field: pathTo(depth),
      message:
        before === key
          ? `"${key}" appears twice in the same object; each key may appear once`
          : `"${before}" and "${key}" differ only in letter case, which the engine's decoder (Go's, for Ollama) can read as one field; send one spelling`,
    };
    return true;
  }
  if (big) big.set(folded, key);
  else if (count < SHORT_OBJECT) {
    folds[count] = folded;
    keys[count] = key;
    levelCount[depth] = count + 1;
  } else {
    big = levelBig[depth] = new Map(folds.slice(0, count).map((f, i) => [f, keys[i]!]));
    big.set(folded, key);
  }
  const shape = levelShape[depth];
  if (shape?.kind === 'struct') {
    const field = shape.byFold.get(folded);
    if (field !== undefined && field !== key) {
      problem = { field: pathTo(depth), message: `"${key}" is read by the engine as the field "${field}"; spell it exactly "${field}"` };
      return true;
    }
  }
  return false;
}

/**
 * One pass over `text`: nesting depth, and (with `shape`, or `{kind:'map'}` for keys alone) every
 * key of every object. Returns TOO_DEEP, AMBIGUOUS (then `problem` says why) or 0. Text that is
 * not JSON is scanned without error; JSON.parse says what is wrong with it.
 */
function scan(text: string, max: number, shape: EngineShape | null | undefined): number {
  const keys = shape !== null;
  let depth = 0;
  let expectKey = false;
  let found = 0;
  levelShape[0] = shape ?? null;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      // To the closing quote: one not preceded by an odd run of backslashes.
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end === -1) return found;
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 92 /* \ */) slashes++;
        if ((slashes & 1) === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (expectKey && keys && found === 0 && depth > 0) {
        let key = text.slice(i + 1, end);
        if (key.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            // Not a JSON string: JSON.parse of the whole body says so.
          }
        }
        if (keyProblem(key, depth)) found = AMBIGUOUS;
      }
      expectKey = false;
      i = end;
    } else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (++depth > max) return TOO_DEEP;
      if (keys) {
        const isObject = ch === 123;
        const inherited = childShape(depth - 1);
        levelIsObject[depth] = isObject;
        levelShape[depth] = inherited && (inherited.kind === 'list') !== isObject ? inherited : null;
        levelIndex[depth] = 0;
        if (isObject) {
          levelFolds[depth] ??= [];
          levelKeys[depth] ??= [];
          levelCount[depth] = 0;
          levelBig[depth] = null;
        }
        expectKey = isObject;
      }
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) {
      // More closed than opened is not JSON (JSON.parse says so); the levels never go below 0.
      if (--depth < 0) return found;
      expectKey = false;
    } else if (ch === 44 /* , */ && keys && depth > 0) {
      if (levelIsObject[depth]) expectKey = true;
      else levelIndex[depth] = levelIndex[depth]! + 1;
    }
  }
  return found;
}

/** Every key of every object checked, with no engine shape: duplicates and case variants only. */
const ANY_OBJECT: EngineShape = { kind: 'map', values: null };

/**
 * `text` parsed, or why not: too deep, not JSON, or (checked in the same pass as the depth) an
 * object whose keys the engine could read differently from the gateway. `shape` is how the
 * route's engine decodes the body (shared/engine-shapes.ts); without one, keys are still checked
 * for duplicates and case variants everywhere.
 */
export function parseJsonBody(text: string, shape: EngineShape | null = null, maxDepth = MAX_JSON_DEPTH): ParsedJson {
  const scanned = scan(text, maxDepth, shape ?? ANY_OBJECT);
  if (scanned === TOO_DEEP) {
    return { ok: false, code: 'json_too_deep', message: `request body nests arrays/objects deeper than the limit of ${maxDepth} levels` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    return { ok: false, code: 'invalid_json', message: `request body is not valid JSON: ${(err as Error).message}` };
  }
  if (scanned === AMBIGUOUS) return { ok: false, code: 'ambiguous_key', message: `${problem.field}: ${problem.message}`, field: problem.field };
  return { ok: true, value };
}
