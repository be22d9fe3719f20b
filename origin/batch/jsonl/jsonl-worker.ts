// The JSONL worker thread: multipart parsing and line validation of batch input files, away from
// the event loop that carries the origin's streams. One task per worker (jsonl/parse.ts).
import { parentPort } from 'node:worker_threads';
import type { JsonlResult, JsonlTask } from './tasks.ts';
import { validateJsonl } from './validate.ts';
import { messageBatchLines } from '../anthropic/requests.ts';

async function run(t: JsonlTask): Promise<JsonlResult> {
  if (t.kind === 'lines') {
    const v = validateJsonl(new TextDecoder().decode(t.content), t.maxLines);
    return v.ok ? { kind: 'lines', ok: true, lines: v.lines } : v;
  }
  if (t.kind === 'message-batch') return messageBatchLines(new TextDecoder().decode(t.body), t.maxLines);
  let form: FormData;
  try {
    form = await new Response(t.body, { headers: { 'content-type': t.contentType } }).formData();
  } catch {
    return { ok: false, errors: [{ code: 'invalid_multipart', message: 'the body is not multipart/form-data with the fields `purpose` and `file`', param: null, line: null }] };
  }
  const purpose = form.get('purpose');
  if (typeof purpose !== 'string') return { ok: false, errors: [{ code: 'missing_required_parameter', message: 'purpose: required; this server accepts "batch"', param: 'purpose', line: null }] };
  if (purpose !== 'batch') return { ok: false, errors: [{ code: 'invalid_purpose', message: `purpose: '${purpose.slice(0, 40)}' is not accepted here; upload batch input files with purpose "batch"`, param: 'purpose', line: null }] };
  const file = form.get('file');
  if (file === null || typeof file === 'string') return { ok: false, errors: [{ code: 'missing_required_parameter', message: 'file: required; send the JSONL file as the multipart field `file`', param: 'file', line: null }] };
  if (file.size > t.maxFileBytes) return { ok: false, errors: [{ code: 'file_too_large', message: `file: ${file.size} bytes; at most ${t.maxFileBytes} are allowed (batch.maxFileBytes)`, param: 'file', line: null }] };
  const content = new Uint8Array(await file.arrayBuffer());
  const v = validateJsonl(new TextDecoder().decode(content), t.maxLines);
  if (!v.ok) return v;
  return { kind: 'upload', ok: true, filename: file.name || 'upload.jsonl', purpose: 'batch', content, lineCount: v.lines.length };
}

parentPort!.on('message', (t: JsonlTask) => {
  void run(t).then(
    (r) => parentPort!.postMessage(r, r.ok && r.kind !== 'lines' ? [r.content.buffer as ArrayBuffer] : []),
    (e: unknown) => parentPort!.postMessage({ ok: false, errors: [{ code: 'invalid_file', message: `the file could not be read (${(e as Error).message})`, param: 'file', line: null }] } satisfies JsonlResult),
  );
});
