import type { Context } from 'hono';
import type { z } from 'zod';
import { errors } from '../../shared/errors.ts';
import { parseJsonBody } from '../../shared/json-body.ts';

/** `messages[0].content` style, as clients see the field in their own request. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** Reads and validates a JSON body; any problem is a 400 that names the field and what is allowed. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  const rec = c.get('record' as never) as { bytesIn: number } | undefined;
  if (rec) rec.bytesIn = Buffer.byteLength(text);
  const json = parseJsonBody(text);
  if (!json.ok) throw errors.badRequest(json.message, 'body', json.code);
  const parsed = schema.safeParse(json.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = fieldPath(issue.path);
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : '';
    throw errors.badRequest(`${param || 'body'}: ${issue.message}${more}`, param || null, 'invalid_request_body');
  }
  // By reference, for the audit's opt-in prompt digest / content log; never serialized from here.
  if (rec) (rec as { requestBody?: unknown }).requestBody = parsed.data;
  return parsed.data;
}
