import type { Context } from 'hono';
import type { z } from 'zod';
import { errors } from '../../shared/errors.ts';
import { fieldPath } from '../http/read-json.ts';

/** A listing's query string, checked: a bad value is a 400 naming the parameter. */
export function query<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const r = schema.safeParse(c.req.query());
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const param = fieldPath(issue.path);
  throw errors.badRequest(`${param}: ${issue.message}`, param);
}
