/**
 * OpenAI batch jobs from the command line, against the edge (or an origin) with a tenant key.
 *
 *   npm run batch -- submit requests.jsonl [--endpoint /v1/embeddings] [--wait] [--download DIR]
 *   npm run batch -- status|wait|download BATCH_ID
 *
 * `wait` draws a progress bar fed by the batch's live progress stream (GET /v1/batches/{id}/events),
 * not by polling. PUERTA_ORIGIN_URL and PUERTA_API_KEY say where and as whom; --url and --key
 * override them. File names are read from where npm was run (INIT_CWD), not the repository root.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { BATCH_ENDPOINTS } from '../origin/batch/types.ts';
import { BATCH_STATUSES } from '../origin/batch/lifecycle.ts';
import { cliArgs, exitBadUsage } from '../shared/cli.ts';
import { errorMessage, FOLLOW_ATTEMPTS, followOnce, jsonOf, runMain, type Followed } from './lib/job-stream.ts';

const USAGE = `usage: npm run batch -- COMMAND [flags]

  OpenAI batch jobs through Puerta (the Files and Batch APIs)

  submit FILE       upload a JSONL file of requests and start a batch on it; prints the batch id
    --endpoint PATH   the lines' endpoint (default: the first line's url): ${BATCH_ENDPOINTS.join(', ')}
    --wait            then follow it to its end, as \`wait\` does
    --download DIR    then (with --wait) write its output and error files into DIR
  status ID         the batch object, as JSON
  wait ID           a progress bar fed by the batch's live progress stream until it ends; prints
                    the final batch object; exit 0 when it completed
  download ID       write the batch's output and error files (--out DIR, default .)

  --url URL         the edge or the origin (default $PUERTA_ORIGIN_URL, else http://127.0.0.1:8080)
  --key KEY         a tenant key (default $PUERTA_API_KEY)
  --out DIR         where download writes (default .)
  --help            this text`;

const batchSchema = z.looseObject({
  id: z.string(),
  status: z.enum(BATCH_STATUSES),
  request_counts: z.object({ total: z.number(), completed: z.number(), failed: z.number() }),
  output_file_id: z.string().nullable(),
  error_file_id: z.string().nullable(),
  errors: z.object({ data: z.array(z.object({ message: z.string() })) }).nullable(),
});
type Batch = z.infer<typeof batchSchema>;

interface Api {
  base: string;
  headers: Record<string, string>;
}

async function call<T>(api: Api, path: string, schema: z.ZodType<T>, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${api.base}${path}`, { ...init, headers: { ...api.headers, ...(init.headers as Record<string, string> | undefined) } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} refused (${res.status}): ${errorMessage(text)}`);
  const parsed = schema.safeParse(jsonOf(text));
  if (!parsed.success) throw new Error(`${path}: an answer that is not what the Batch API sends (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

const fromUser = (file: string) => resolve(process.env.INIT_CWD ?? process.cwd(), file);

async function submit(api: Api, file: string, endpoint: string | undefined): Promise<Batch> {
  const content = readFileSync(fromUser(file));
  const firstUrl = z.object({ url: z.string() }).safeParse(jsonOf(content.toString('utf8', 0, Math.min(content.length, 1 << 20)).split('\n')[0] ?? ''));
  const target = endpoint ?? (firstUrl.success ? firstUrl.data.url : undefined);
  if (!target) exitBadUsage(`batch: cannot tell the endpoint from the first line of ${file}; give --endpoint (--help for usage)`);
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('file', new Blob([content], { type: 'application/jsonl' }), basename(file));
  const uploaded = await call(api, '/files', z.object({ id: z.string() }), { method: 'POST', body: form });
  return call(api, '/batches', batchSchema, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input_file_id: uploaded.id, endpoint: target, completion_window: '24h', metadata: { submitted_by: 'npm run batch', file: basename(file).slice(0, 512) } }),
  });
}

/** Follows the batch's progress stream to its end, drawing the bar on stderr. */
async function wait(api: Api, id: string): Promise<Batch> {
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, noTTYOutput: true, notTTYSchedule: 1_000, format: '{bar} {value}/{total} lines | {status} | {failed} failed', hideCursor: process.stderr.isTTY },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const show = (b: Batch) => {
    const done = b.request_counts.completed + b.request_counts.failed;
    const payload = { status: b.status, failed: b.request_counts.failed };
    if (!started) bar.start(b.request_counts.total, done, payload);
    started = true;
    bar.setTotal(b.request_counts.total);
    bar.update(done, payload);
  };
  let followed: Followed<Batch> = { kind: 'cut', why: 'not read yet' };
  try {
    for (let attempt = 1; attempt <= FOLLOW_ATTEMPTS && followed.kind === 'cut'; attempt++) {
      followed = await followOnce(`${api.base}/batches/${encodeURIComponent(id)}/events`, api.headers, batchSchema, show);
    }
  } finally {
    if (started) bar.stop();
  }
  if (followed.kind === 'cut') throw new Error(`lost batch ${id}'s progress (${followed.why}); it may still be running: npm run batch -- status ${id}`);
  return followed.status;
}

async function download(api: Api, b: Batch, dir: string): Promise<string[]> {
  const out = fromUser(dir);
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  for (const [fileId, name] of [
    [b.output_file_id, `${b.id}_output.jsonl`],
    [b.error_file_id, `${b.id}_error.jsonl`],
  ] as const) {
    if (!fileId) continue;
    const res = await fetch(`${api.base}/files/${encodeURIComponent(fileId)}/content`, { headers: api.headers });
    if (!res.ok) throw new Error(`GET /files/${fileId}/content refused (${res.status}): ${errorMessage(await res.text())}`);
    const path = join(out, name);
    writeFileSync(path, Buffer.from(await res.arrayBuffer()));
    written.push(path);
  }
  return written;
}

async function main(): Promise<number> {
  const { values, positionals } = cliArgs({
    name: 'batch',
    usage: USAGE,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      endpoint: { type: 'string' },
      wait: { type: 'boolean', default: false },
      download: { type: 'string' },
      out: { type: 'string', default: '.' },
    },
  });
  const [command, arg, ...rest] = positionals;
  if (!command || !['submit', 'status', 'wait', 'download'].includes(command)) exitBadUsage(`batch: ${command ? `unknown command '${command}'` : 'no command'}; one of submit, status, wait, download (--help for usage)`);
  if (!arg) exitBadUsage(`batch: ${command} needs ${command === 'submit' ? 'a FILE' : 'a batch ID'} (--help for usage)`);
  if (rest.length) exitBadUsage(`batch: unexpected '${rest[0]}' (--help for usage)`);
  if (values.download !== undefined && !values.wait) exitBadUsage('batch: --download goes with --wait (the files exist once the batch ends) (--help for usage)');
  const key = values.key ?? process.env.PUERTA_API_KEY;
  if (!key) throw new Error('no tenant key: set PUERTA_API_KEY or pass --key');
  const api: Api = { base: `${(values.url ?? process.env.PUERTA_ORIGIN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '')}/v1`, headers: { authorization: `Bearer ${key}` } };
  const print = (b: Batch) => process.stdout.write(`${JSON.stringify(b)}\n`);
  const ended = (b: Batch) => {
    for (const e of b.errors?.data ?? []) process.stderr.write(`  ${e.message}\n`);
    return b.status === 'completed' ? 0 : 1;
  };

  switch (command) {
    case 'submit': {
      const b = await submit(api, arg, values.endpoint);
      if (!values.wait) return void process.stdout.write(`${b.id}\n`), 0;
      process.stderr.write(`batch ${b.id} submitted\n`);
      const end = await wait(api, b.id);
      print(end);
      if (values.download !== undefined) for (const f of await download(api, end, values.download)) process.stderr.write(`wrote ${f}\n`);
      return ended(end);
    }
    case 'status':
      print(await call(api, `/batches/${encodeURIComponent(arg)}`, batchSchema));
      return 0;
    case 'wait': {
      const end = await wait(api, arg);
      print(end);
      return ended(end);
    }
    default: {
      const b = await call(api, `/batches/${encodeURIComponent(arg)}`, batchSchema);
      const files = await download(api, b, values.out);
      for (const f of files) process.stdout.write(`${f}\n`);
      if (files.length === 0) process.stderr.write(`batch: batch ${b.id} is ${b.status} and has no output or error file yet\n`);
      return files.length ? 0 : 1;
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runMain('batch', main);
