import type { Context } from 'hono';
import type { z } from 'zod';
import { errors, type PuertaError } from '../../shared/errors.ts';
import { engineShapeFor } from '../../shared/engine-shapes.ts';
import { parseJsonBody, type ParsedJson } from '../../shared/json-body.ts';
import { schemaForBody } from './narrow-schema.ts';

/** `messages[0].content` style, as clients see the field in their own request. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

type Issue = z.core.$ZodIssue;

/**
 * A union's own message ("Invalid input") says nothing a client can act on. The branch that got
 * past the type check says what was wrong there (`input: at most 2048 inputs`); when every branch
 * failed on the type, the message lists the types allowed.
 */
function specific(issue: Issue): { path: PropertyKey[]; message: string } {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { path: issue.path, message: issue.message };
  const branches = issue.errors.filter((b) => b.length > 0);
  const typed = branches.find((b) => b[0]!.code !== 'invalid_type' || b[0]!.path.length > 0);
  if (typed) {
    const inner = specific(typed[0]!);
    return { path: [...issue.path, ...inner.path], message: inner.message };
  }
  const expected = branches.map((b) => (b[0] as { expected?: string }).expected).filter(Boolean);
  return { path: issue.path, message: expected.length ? `expected ${[...new Set(expected)].join(' or ')}` : issue.message };
}

/** A parsed body checked against `schema`: its value, or the 400 that names the field and what is allowed. */
import type { Validated } from '../core/facts.ts';
export type { Validated };

export function validate<S extends z.ZodType>(schema: S, json: ParsedJson): Validated<z.infer<S>> {
  if (!json.ok) return { ok: false, error: errors.badRequest(json.message, json.field ?? 'body', json.code) };
  const parsed = schemaForBody(schema, json.value).safeParse(json.value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = specific(parsed.error.issues[0]!);
  const param = fieldPath(issue.path) || 'body';
  const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : '';
  return { ok: false, error: errors.badRequest(`${param}: ${issue.message}${more}`, param, 'invalid_request_body') };
}

/**
 * A validated body as a route reads it: the record learns its size and (by reference, for the
 * audit's opt-in prompt digest / content log; never serialized from here) the body itself.
 */
export function accept<T>(c: Context, bytes: number, body: Validated<T>): T {
  const rec = c.get('record' as never) as { bytesIn: number; requestBody?: unknown } | undefined;
  if (rec) rec.bytesIn = bytes;
  if (!body.ok) throw body.error;
  if (rec) rec.requestBody = body.value;
  return body.value;
}

/**
 * Reads and validates a JSON body that is not a route table's (retrieval's own routes); any
 * problem is a 400 that names the field and what is allowed. The route table's bodies are read
 * once, by their dialect (origin/http/request-facts.ts).
 */
export function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const shape = engineShapeFor(c.req.path);
  return readJsonParsedBy(c, schema, async (text) => parseJsonBody(text, shape));
}

/**
 * readJson with the parse supplied: bodies too large to parse on the event loop (document
 * uploads, up to the body limit) are parsed elsewhere (a worker thread) by the same parser, and
 * the answer is validated here exactly as readJson's.
 */
export async function readJsonParsedBy<S extends z.ZodType>(c: Context, schema: S, parse: (text: string) => Promise<ParsedJson>): Promise<z.infer<S>> {
  const text = await c.req.text();
  return accept(c, Buffer.byteLength(text), validate(schema, await parse(text)));
}
