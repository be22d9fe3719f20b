/**
 * Checks a batch input file line by line, as OpenAI does: each line a JSON object with a unique
 * `custom_id`, `method` POST, `url` one of the batch endpoints and a `body` the endpoint's own
 * dialect accepts (the same zod schemas its route validates with). Runs in a worker thread
 * (jsonl/jsonl-worker.ts): a 100 MB file must not hold the event loop that carries streams.
 */
import { z } from 'zod';
import { chatCompletionRequestSchema, completionRequestSchema, embeddingRequestSchema } from '../../../shared/schemas/openai.ts';
import { messagesRequestSchema } from '../../dialects/client/anthropic-messages/schema.ts';
import { responsesRequestSchema } from '../../dialects/client/openai-responses/schema.ts';
import { fieldPath } from '../../http/read-json.ts';
import { LINE_ENDPOINTS, type BatchError, type InputLine, type LineEndpoint } from '../types.ts';

export const BODY_SCHEMAS: Record<LineEndpoint, z.ZodType> = {
  '/v1/chat/completions': chatCompletionRequestSchema,
  '/v1/embeddings': embeddingRequestSchema,
  '/v1/completions': completionRequestSchema,
  '/v1/responses': responsesRequestSchema,
  '/v1/messages': messagesRequestSchema,
};

const lineSchema = z.object({
  custom_id: z.string().min(1, 'must not be empty').max(512, 'at most 512 characters'),
  method: z.literal('POST', { error: 'must be "POST"' }),
  url: z.enum(LINE_ENDPOINTS, { error: `must be one of ${LINE_ENDPOINTS.join(', ')}` }),
  body: z.record(z.string(), z.unknown(), { error: 'must be a JSON object (the request body)' }),
});

/** Errors reported per file: enough to fix the first problems, not a copy of a broken file. */
const MAX_ERRORS = 20;

export type Validation = { ok: true; lines: InputLine[] } | { ok: false; errors: BatchError[] };

export function validateJsonl(text: string, maxLines: number): Validation {
  const errors: BatchError[] = [];
  const lines: InputLine[] = [];
  const seen = new Set<string>();
  const fail = (line: number, param: string | null, code: string, message: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ code, message: `line ${line}: ${message}`, param, line });
  };
  const raw = text.split('\n');
  if (raw.at(-1) === '') raw.pop();
  if (raw.length === 0) return { ok: false, errors: [{ code: 'empty_file', message: 'the file has no lines; a batch input file holds one JSON request per line', param: 'file', line: null }] };
  if (raw.length > maxLines) return { ok: false, errors: [{ code: 'too_many_lines', message: `the file has ${raw.length} lines; at most ${maxLines} are allowed per batch`, param: 'file', line: null }] };
  for (let i = 0; i < raw.length; i++) {
    const n = i + 1;
    const src = raw[i]!.replace(/\r$/, '');
    if (src.trim() === '') {
      fail(n, null, 'invalid_json_line', 'empty line; every line must be one JSON request');
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(src);
    } catch (e) {
      fail(n, null, 'invalid_json_line', `not valid JSON (${(e as Error).message})`);
      continue;
    }
    const parsed = lineSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      fail(n, fieldPath(issue.path) || null, issue.path[0] === 'url' ? 'invalid_url' : 'invalid_request', `${fieldPath(issue.path) || 'line'}: ${issue.message}`);
      continue;
    }
    const l = parsed.data;
    if (seen.has(l.custom_id)) {
      fail(n, 'custom_id', 'duplicate_custom_id', `custom_id '${l.custom_id}' appears more than once; each line needs its own`);
      continue;
    }
    seen.add(l.custom_id);
    if (l.body.stream === true) {
      fail(n, 'body.stream', 'invalid_request', 'body.stream: batch requests cannot stream; leave stream unset or false');
      continue;
    }
    const body = BODY_SCHEMAS[l.url].safeParse(l.body);
    if (!body.success) {
      const issue = body.error.issues[0]!;
      const field = `body.${fieldPath(issue.path)}`;
      fail(n, field, 'invalid_request', `${field}: ${issue.message} (as ${l.url} accepts it)`);
      continue;
    }
    lines.push({ custom_id: l.custom_id, method: 'POST', url: l.url, body: JSON.stringify(l.body) });
  }
  return errors.length ? { ok: false, errors } : { ok: true, lines };
}
