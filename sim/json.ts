/**
 * Byte-level fidelity with Go's encoding/json, which Ollama uses for every body:
 * it escapes <, >, & (HTML safety), U+2028/U+2029, and writes \b \f as \u0008 \u000c.
 * JSON.stringify already matches Go for everything else we emit (strings, ints, bools).
 */
const needsFix = /[<>&\u2028\u2029]|\\[bf]/;
const fixer = /\\.|[<>&\u2028\u2029]/g;
const replacements: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
  '\\b': '\\u0008',
  '\\f': '\\u000c',
};

export function goEscape(json: string): string {
  if (!needsFix.test(json)) return json;
  return json.replace(fixer, (m) => replacements[m] ?? m);
}

/** JSON.stringify with Go's escaping. */
export function goJson(value: unknown): string {
  return goEscape(JSON.stringify(value));
}

/** A JSON string literal (quotes included) with Go's escaping, for hand-built hot-path lines. */
export function goString(s: string): string {
  return goEscape(JSON.stringify(s));
}

/** Current time as Go's time.Time RFC3339Nano in UTC: fraction to ns, trailing zeros trimmed. */
export function rfc3339Nano(epochMs: number = performance.timeOrigin + performance.now()): string {
  const whole = Math.floor(epochMs);
  const iso = new Date(whole).toISOString(); // 2025-01-02T03:04:05.678Z
  const nanos = Math.round((epochMs - Math.floor(whole / 1000) * 1000) * 1e6);
  const base = iso.slice(0, 19);
  if (nanos <= 0) return `${base}Z`;
  const frac = String(Math.min(nanos, 999_999_999)).padStart(9, '0').replace(/0+$/, '');
  return `${base}.${frac}Z`;
}

/**
 * Shortest decimal that reads back as the same float32, like Go's strconv for []float32.
 * Go switches to exponent form below 1e-6; JS does too (below 1e-6), with a different exponent
 * spelling (1e-7 vs 1e-07), which is why the exponent is rewritten.
 */
export function float32String(x: number): string {
  const f = Math.fround(x);
  if (f === 0) return '0';
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return goNumber(Number(s));
  }
  return goNumber(f);
}

function goNumber(n: number): string {
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // Go: 1e-07, 1.5e+21 (at least two exponent digits)
  const mant = s.slice(0, e);
  const sign = s[e + 1] === '-' ? '-' : '+';
  const digits = s.slice(e + 2).padStart(2, '0');
  return `${mant}e${sign}${digits}`;
}
