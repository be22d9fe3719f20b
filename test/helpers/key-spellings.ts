/**
 * Generated spellings of request keys for the parser-differential tests: the same field written
 * the ways Go's encoding/json accepts and JavaScript reads differently (any letter case, ſ for s,
 * K for k, `\uXXXX` escapes of any character, duplicates, at the top or nested). A body is built
 * as text, so duplicates and escapes reach the gateway as the attacker wrote them.
 */
import fc from 'fast-check';

/** A JSON object as text, from entries whose keys are already JSON string literals. */
export const objectText = (entries: ReadonlyArray<readonly [string, string]>): string => `{${entries.map(([k, v]) => `${k}:${v}`).join(',')}}`;

/** `name` as a JSON string literal, each character escaped as `\uXXXX` where `escape[i]` says so. */
export function keyLiteral(name: string, escape: readonly boolean[] = []): string {
  let out = '"';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    out += escape[i] ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : JSON.stringify(ch).slice(1, -1);
  }
  return out + '"';
}

/** A spelling of `name` that Go folds to it: letters in any case, s as ſ and k as K sometimes; maybe exactly `name`. */
export function variantOf(name: string): fc.Arbitrary<string> {
  return fc.array(fc.integer({ min: 0, max: 3 }), { minLength: name.length, maxLength: name.length }).map((picks) =>
    [...name]
      .map((ch, i) => {
        const p = picks[i]!;
        if (p === 3 && (ch === 's' || ch === 'S')) return '\u017f';
        if (p === 3 && (ch === 'k' || ch === 'K')) return '\u212a';
        return p % 2 === 1 ? ch.toUpperCase() : ch.toLowerCase();
      })
      .join(''),
  );
}

/** A key literal for `name`: some spelling, some characters escaped. */
export function spelledKey(name: string): fc.Arbitrary<{ key: string; literal: string }> {
  return fc
    .tuple(
      fc.oneof(fc.constant(name), variantOf(name)),
      fc.oneof(fc.constant<boolean[]>([]), fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length })),
    )
    .map(([key, esc]) => ({ key, literal: keyLiteral(key, esc) }));
}

/**
 * Go's encoding/json reading `field` of a struct from an object without duplicates: the last key
 * equal to it ignoring case (with Go's ſ/K folds) wins. Written apart from shared/json-body.ts's
 * folding so the tests check it against a second reading.
 */
export function goReads(obj: Record<string, unknown>, field: string): unknown {
  const fold = (k: string) => [...k].map((c) => (c === '\u017f' ? 's' : c === '\u212a' ? 'k' : /^[A-Za-z]$/.test(c) ? c.toLowerCase() : c)).join('');
  let out: unknown;
  for (const k of Object.keys(obj)) if (fold(k) === fold(field)) out = obj[k];
  return out;
}
