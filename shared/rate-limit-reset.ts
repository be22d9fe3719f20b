/**
 * OpenAI's duration format for `x-ratelimit-reset-*` and "try again in …" messages: `20ms`,
 * `1.5s`, `6m0s`. One function for edge and origin, in milliseconds; rounded up, so a client
 * that waits as long as it says is never early.
 */
export function formatResetMs(ms: number): string {
  if (!(ms > 0)) return '0s';
  if (ms < 1_000) return `${Math.ceil(ms)}ms`;
  const tenths = Math.ceil(ms / 100);
  if (tenths < 600) return `${tenths / 10}s`;
  const seconds = Math.ceil(ms / 1_000);
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}
