/**
 * The body of POST /v1/messages/batches (`{"requests":[{"custom_id","params"}]}`) checked as
 * Anthropic does, request by request, each `params` with the Messages route's own schema, and
 * written as the lines of a batch input file (`url` /v1/messages), so the stage stores and runs
 * it like any other batch. Runs in the JSONL worker thread: the body may be hundreds of MB.
 */
import { z } from 'zod';
import { messagesRequestSchema } from '../../dialects/client/anthropic-messages/schema.ts';
import { fieldPath } from '../../http/read-json.ts';
import type { JsonlResult } from '../jsonl/tasks.ts';
import type { BatchError } from '../types.ts';

/** Anthropic's rule for a custom_id. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_ERRORS = 20;

const bodySchema = z.object({
  requests: z.array(z.unknown(), { error: 'must be an array of {custom_id, params}' }).min(1, 'must hold at least one request'),
});

const requestSchema = z.object({
  custom_id: z.string({ error: 'required: a string' }).regex(CUSTOM_ID, '1 to 64 letters, digits, _ or -'),
  params: z.record(z.string(), z.unknown(), { error: 'required: a Messages request object' }),
});

export function messageBatchLines(text: string, maxLines: number): JsonlResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return refuse({ code: 'invalid_json', message: `the body is not valid JSON (${(e as Error).message})`, param: null, line: null });
  }
  const body = bodySchema.safeParse(value);
  if (!body.success) {
    const issue = body.error.issues[0]!;
    const param = fieldPath(issue.path) || 'requests';
    return refuse({ code: 'invalid_request', message: `${param}: ${issue.message}`, param, line: null });
  }
  const requests = body.data.requests;
  if (requests.length > maxLines) return refuse({ code: 'too_many_requests', message: `requests: ${requests.length} requests; at most ${maxLines} are allowed per batch`, param: 'requests', line: null });

  const errors: BatchError[] = [];
  const fail = (i: number, field: string, message: string) => {
    const param = `requests[${i}]${field ? `.${field}` : ''}`;
    if (errors.length < MAX_ERRORS) errors.push({ code: 'invalid_request', message: `${param}: ${message}`, param, line: i + 1 });
  };
  const seen = new Set<string>();
  let out = '';
  for (let i = 0; i < requests.length; i++) {
    const r = requestSchema.safeParse(requests[i]);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      fail(i, fieldPath(issue.path), issue.message);
      continue;
    }
    const { custom_id, params } = r.data;
    if (seen.has(custom_id)) {
      fail(i, 'custom_id', `'${custom_id}' appears more than once; each request needs its own`);
      continue;
    }
    seen.add(custom_id);
    if (params.stream === true) {
      fail(i, 'params.stream', 'batch requests cannot stream; leave stream unset or false');
      continue;
    }
    const p = messagesRequestSchema.safeParse(params);
    if (!p.success) {
      const issue = p.error.issues[0]!;
      fail(i, `params.${fieldPath(issue.path)}`, `${issue.message} (as /v1/messages accepts it)`);
      continue;
    }
    out += JSON.stringify({ custom_id, method: 'POST', url: '/v1/messages', body: params }) + '\n';
  }
  if (errors.length) return { ok: false, errors };
  return { kind: 'message-batch', ok: true, content: new TextEncoder().encode(out), lineCount: requests.length };
}

function refuse(e: BatchError): JsonlResult {
  return { ok: false, errors: [e] };
}
