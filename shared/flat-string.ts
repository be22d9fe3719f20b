/**
 * A string built with `+` is a tree of V8 cons strings (32 bytes a node, plus its pieces) until
 * something reads it as a whole. A string kept for a stream's whole life (a response head, a
 * prefix reused on every chunk) costs several times its length that way; reading it as a number
 * makes V8 flatten it in place, and the tree becomes garbage. The result is stored, so the read is
 * not optimised away.
 */
let sink = 0;

export function flatten<S extends string | null | undefined>(s: S): S {
  if (typeof s === 'string') sink = Number(s) || sink;
  return s;
}
