import type { Context } from 'hono';
import { modelInPath } from '../../../../shared/routes.ts';
import type { OriginEnv } from '../../../core/env.ts';

/** The route's model, from its path, where Gemini names it (the route matched, so there is one). */
export function pathModel(c: Context<OriginEnv>): string {
  return modelInPath(c.req.method, c.req.path) ?? '';
}
