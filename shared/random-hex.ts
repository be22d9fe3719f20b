/** Two hex digits per byte value. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Random bytes drawn in batches (Web Crypto, on every runtime this code runs on): one draw per
 * 256 ids instead of a UUID per id, whose dashes then had to be cut out (about half the cost of
 * an id, at least one per request).
 */
const pool = new Uint8Array(4096);
let used = pool.length;

/** `n` (up to 32) random hex digits. */
export function randomHex(n = 32): string {
  const digits = Math.min(n, 32);
  const bytes = (digits + 1) >> 1;
  if (used + bytes > pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  let hex = '';
  for (let i = used, end = used + bytes; i < end; i++) hex += HEX[pool[i]!]!;
  used += bytes;
  return digits & 1 ? hex.slice(0, digits) : hex;
}
