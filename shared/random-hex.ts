/** The digits' character codes, by value. */
const DIGITS = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const ascii = new TextDecoder();

/**
 * Random bytes drawn in batches (Web Crypto, on every runtime this code runs on): one draw per
 * 256 ids instead of a UUID per id, whose dashes then had to be cut out (about half the cost of
 * an id, at least one per request). The digits are written as bytes and decoded once, so an id is
 * one string, not a chain of pieces joined.
 */
const pool = new Uint8Array(4096);
let used = pool.length;
const digits = new Uint8Array(32);

/** `n` (up to 32) random hex digits. */
export function randomHex(n = 32): string {
  const count = Math.min(n, 32);
  if (used + 16 > pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  for (let i = 0; i < count; i++) {
    const byte = pool[used + (i >> 1)]!;
    digits[i] = DIGITS[i & 1 ? byte & 15 : byte >> 4]!;
  }
  used += (count + 1) >> 1;
  return ascii.decode(count === 32 ? digits : digits.subarray(0, count));
}
