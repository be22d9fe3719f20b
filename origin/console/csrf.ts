import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';

export type CsrfRefusal = 'cross_origin' | 'missing_token' | 'wrong_token';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The request says it comes from another site: its Origin, or without one its Sec-Fetch-Site. */
export function crossOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    try {
      return new URL(origin).host !== host;
    } catch {
      return true;
    }
  }
  const site = c.req.header('sec-fetch-site');
  return site !== undefined && site !== 'same-origin';
}

/**
 * Every state-changing request of the console must come from the console's own page: its Origin
 * (or, without one, the browser's Sec-Fetch-Site) says same origin, and it carries the session's
 * token (form field `_csrf` or header `x-csrf-token`), which no other site can read.
 * Returns why it is refused, or null.
 */
export async function csrfRefusal(c: Context, expected: string): Promise<CsrfRefusal | null> {
  if (crossOrigin(c)) return 'cross_origin';
  let given = c.req.header('x-csrf-token');
  if (!given && (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
    const v = (await c.req.parseBody())['_csrf'];
    if (typeof v === 'string') given = v;
  }
  if (!given) return 'missing_token';
  return timingSafeEqual(digest(given), digest(expected)) ? null : 'wrong_token';
}
