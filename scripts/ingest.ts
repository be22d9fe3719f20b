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
import { z } from 'zod';
import type { JobStatus } from '../origin/retrieval/jobs.ts';
import { cliArgs, exitBadUsage } from '../shared/cli.ts';
import { errorMessage, FOLLOW_ATTEMPTS, followOnce, jsonOf, runMain, type Followed } from './lib/job-stream.ts';

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
  let followed: Followed<JobStatus> = { kind: 'cut', why: 'not read yet' };
  for (let attempt = 1; attempt <= FOLLOW_ATTEMPTS && followed.kind === 'cut'; attempt++) {
    followed = await followOnce(eventsUrl, headers, jobStatusSchema, show);
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

if (import.meta.url === `file://${process.argv[1]}`) await runMain('ingest', main);
