/**
 * Uploads documents into a collection of a running origin and shows the job's progress.
 *
 *   npm run ingest -- --collection manuales docs/*.md manual.html notas.txt
 *
 * Formats by extension (.md/.markdown Markdown, .html/.htm HTML, anything else text); the document
 * id is the file name without extension (re-running replaces each document atomically).
 * PUERTA_ORIGIN_URL (default http://127.0.0.1:8080) and PUERTA_API_KEY (a tenant key) say where
 * and as whom; or ADMIN_TOKEN with --tenant to load a tenant's collection as the operator.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';
import type { JobStatus } from '../origin/retrieval/jobs.ts';
import { cliArgs, exitBadUsage } from '../shared/cli.ts';

const FORMAT: Record<string, 'markdown' | 'html'> = { '.md': 'markdown', '.markdown': 'markdown', '.html': 'html', '.htm': 'html' };

export function documentFromFile(path: string): { id: string; format: 'text' | 'markdown' | 'html'; content: string; metadata: Record<string, string> } {
  const ext = extname(path).toLowerCase();
  const id = basename(path, extname(path)).replace(/[^A-Za-z0-9_.:-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128) || 'document';
  return { id, format: FORMAT[ext] ?? 'text', content: readFileSync(path, 'utf8'), metadata: { file: basename(path) } };
}

/** `[########------------]  12/40 documents  310 chunks  8 duplicates dropped  1 failed` */
export function progressLine(s: JobStatus, width = 30): string {
  const d = s.documents;
  const settled = d.done + d.failed;
  const filled = d.total === 0 ? width : Math.round((settled / d.total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(settled).padStart(String(d.total).length)}/${d.total} documents  ${s.chunks.stored} chunks  ${s.chunks.duplicatesDropped} duplicates dropped${d.failed ? `  ${d.failed} failed` : ''}`;
}

const USAGE = `usage: npm run ingest -- --collection NAME [flags] FILE...

  uploads FILEs into a collection (re-running replaces each document) and follows the job to its end

  --collection, -c NAME   the collection (created on first upload)
  --url URL               the edge or the origin (default $PUERTA_ORIGIN_URL, else http://127.0.0.1:8080)
  --key KEY               a tenant key (default $PUERTA_API_KEY)
  --tenant ID             load that tenant's collection as the operator, with --token (or $ADMIN_TOKEN)
  --token TOKEN           the admin token, with --tenant
  --help                  this text

  .md/.markdown are Markdown, .html/.htm HTML, anything else text; a document's id is its file name
  without the extension. Prints the job's summary as JSON; exit 0 when every document was stored.`;

/** The job's state as the progress stream and the status route send it; checked, not trusted. */
const jobStatusSchema = z.object({
  id: z.string(),
  collection: z.string(),
  state: z.enum(['queued', 'running', 'succeeded', 'partial', 'failed']),
  documents: z.object({ total: z.number(), done: z.number(), failed: z.number() }),
  chunks: z.object({ stored: z.number(), duplicatesDropped: z.number() }),
  errors: z.array(z.object({ document: z.string(), code: z.string(), message: z.string() })),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
}) satisfies z.ZodType<JobStatus>;

/** An error body (`{"error":{"message"}}`), from a refusal or a stream's `event: error`. */
const errorBodySchema = z.object({ error: z.union([z.string(), z.object({ message: z.string().optional() }).passthrough()]) }).passthrough();

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorMessage(text: string): string {
  const e = errorBodySchema.safeParse(jsonOf(text));
  if (e.success) return typeof e.data.error === 'string' ? e.data.error : (e.data.error.message ?? 'no message');
  return `an answer that is not a Puerta error (${text.slice(0, 80).replace(/\s+/g, ' ')})`;
}

/** How one reading of the progress stream ended: with the job's last state, or cut before it. */
type Followed = { kind: 'finished'; status: JobStatus } | { kind: 'cut'; why: string };

/**
 * Reads the job's progress stream to its `done` event. Only `progress` and `done` carry the job's
 * state; an `error` event (the origin's, or the edge's when the stream broke on its way) ends it.
 */
async function followOnce(url: string, headers: Record<string, string>, show: (s: JobStatus) => void): Promise<Followed> {
  const res = await fetch(url, { headers });
  if (!res.ok || !res.body) return { kind: 'cut', why: `the progress stream was refused (${res.status}): ${errorMessage(await res.text())}` };
  let outcome: Followed | undefined;
  const onEvent = (e: EventSourceMessage): void => {
    if (outcome) return;
    if (e.event === 'error') {
      outcome = { kind: 'cut', why: errorMessage(e.data) };
      return;
    }
    if (e.event !== 'progress' && e.event !== 'done') return;
    const parsed = jobStatusSchema.safeParse(jsonOf(e.data));
    if (!parsed.success) {
      outcome = { kind: 'cut', why: `a ${e.event} event that is not a job status (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})` };
      return;
    }
    show(parsed.data);
    if (e.event === 'done') outcome = { kind: 'finished', status: parsed.data };
  };
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  try {
    for (let r = await reader.read(); !r.done && !outcome; r = await reader.read()) parser.feed(decoder.decode(r.value, { stream: true }));
  } catch (err) {
    outcome ??= { kind: 'cut', why: `the connection broke (${(err as Error).message})` };
  } finally {
    // Whatever follows `done` (or an error) is not read: the job's state is known.
    await reader.cancel().catch(() => {});
  }
  return outcome ?? { kind: 'cut', why: 'the stream ended before the job did' };
}

/** Attempts at the progress stream: a cut one is opened again (it starts with the job's state). */
const FOLLOW_ATTEMPTS = 3;

async function main(): Promise<number> {
  const { values, positionals } = cliArgs({
    name: 'ingest',
    usage: USAGE,
    allowPositionals: true,
    options: {
      collection: { type: 'string', short: 'c' },
      url: { type: 'string' },
      key: { type: 'string' },
      tenant: { type: 'string' },
      token: { type: 'string' },
    },
  });
  if (!values.collection) exitBadUsage('ingest: no --collection NAME (--help for usage)');
  if (positionals.length === 0) exitBadUsage('ingest: no files to upload (--help for usage)');
  const url = (values.url ?? process.env.PUERTA_ORIGIN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const tenant = values.tenant;
  const bearer = tenant ? (values.token ?? process.env.ADMIN_TOKEN) : (values.key ?? process.env.PUERTA_API_KEY);
  const base = tenant ? `${url}/admin/tenants/${encodeURIComponent(tenant)}` : `${url}/v1`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) };
  const documents = positionals.map(documentFromFile);

  const res = await fetch(`${base}/collections/${encodeURIComponent(values.collection)}/documents`, { method: 'POST', headers, body: JSON.stringify({ documents }) });
  const text = await res.text();
  const accepted = z.object({ job: jobStatusSchema }).safeParse(jsonOf(text));
  if (!res.ok || !accepted.success) {
    process.stderr.write(`ingest: upload refused (${res.status}): ${errorMessage(text)}\n`);
    return 1;
  }
  const tty = process.stderr.isTTY;
  let last = accepted.data.job;
  let lastPrinted = -1;
  const show = (s: JobStatus) => {
    last = s;
    const settled = s.documents.done + s.documents.failed;
    if (tty) process.stderr.write(`\r${progressLine(s)}`);
    else if (settled !== lastPrinted && (settled === s.documents.total || settled % Math.max(1, Math.ceil(s.documents.total / 10)) === 0)) {
      lastPrinted = settled;
      process.stderr.write(`${progressLine(s)}\n`);
    }
  };
  const eventsUrl = `${base}/ingest/jobs/${encodeURIComponent(last.id)}/events`;
  let followed: Followed = { kind: 'cut', why: 'not read yet' };
  for (let attempt = 1; attempt <= FOLLOW_ATTEMPTS && followed.kind === 'cut'; attempt++) {
    followed = await followOnce(eventsUrl, headers, show);
    if (followed.kind === 'cut' && attempt < FOLLOW_ATTEMPTS) process.stderr.write(`${tty ? '\n' : ''}ingest: progress stream cut (${followed.why}); reading it again\n`);
  }
  if (tty) process.stderr.write('\n');
  if (followed.kind === 'cut') {
    process.stderr.write(`ingest: lost the job's progress (${followed.why}); job ${last.id} may still be running: GET ${base}/ingest/jobs/${last.id}\n`);
    return 1;
  }
  last = followed.status;
  for (const e of last.errors) process.stderr.write(`  ${e.document}: ${e.code}: ${e.message}\n`);
  process.stdout.write(`${JSON.stringify({ job: last.id, state: last.state, documents: last.documents, chunks: last.chunks })}\n`);
  return last.state === 'succeeded' ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // A refused connection or an unreadable file is one line, not a stack trace.
  const code = await main().catch((err: unknown) => {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    process.stderr.write(`ingest: ${(err as Error).message}${cause ? ` (${cause})` : ''}\n`);
    return 1;
  });
  process.exit(code);
}
