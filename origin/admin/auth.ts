import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errors } from '../../shared/errors.ts';
import type { OriginEnv } from '../core/env.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Admin routes answer only to `Authorization: Bearer <admin token>` (compared in constant time). */
export function adminAuth(token: string | undefined): MiddlewareHandler<OriginEnv> {
  const want = token ? digest(token) : undefined;
  return async (c, next) => {
    if (!want) throw errors.notFound('the admin API is disabled; set ADMIN_TOKEN (admin.token) to enable it');
    const h = c.req.header('authorization') ?? '';
    const given = h.toLowerCase().startsWith('bearer ') ? h.slice(7).trim() : '';
    if (!given || !timingSafeEqual(digest(given), want)) throw errors.unauthorized('admin API: missing or wrong bearer token', 'invalid_admin_token');
    await next();
  };
}
