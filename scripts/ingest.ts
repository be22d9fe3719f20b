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
import { parseArgs } from 'node:util';
import { createParser } from 'eventsource-parser';
import type { JobStatus } from '../origin/retrieval/jobs.ts';

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

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      collection: { type: 'string', short: 'c' },
      url: { type: 'string' },
      key: { type: 'string' },
      tenant: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.collection || positionals.length === 0) {
    process.stderr.write('usage: npm run ingest -- --collection NAME [--url URL] [--key TENANT_KEY | --tenant ID --token ADMIN_TOKEN] FILE...\n');
    return values.help ? 0 : 64;
  }
  const url = (values.url ?? process.env.PUERTA_ORIGIN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const tenant = values.tenant;
  const bearer = tenant ? (values.token ?? process.env.ADMIN_TOKEN) : (values.key ?? process.env.PUERTA_API_KEY);
  const base = tenant ? `${url}/admin/tenants/${encodeURIComponent(tenant)}` : `${url}/v1`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) };
  const documents = positionals.map(documentFromFile);

  const res = await fetch(`${base}/collections/${encodeURIComponent(values.collection)}/documents`, { method: 'POST', headers, body: JSON.stringify({ documents }) });
  const body = (await res.json()) as { job?: JobStatus; error?: { message?: string } };
  if (!res.ok || !body.job) {
    process.stderr.write(`upload refused (${res.status}): ${body.error?.message ?? 'no message'}\n`);
    return 1;
  }
  const tty = process.stderr.isTTY;
  let last = body.job;
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
  const events = await fetch(`${base}/ingest/jobs/${body.job.id}/events`, { headers });
  if (!events.ok || !events.body) {
    process.stderr.write(`progress stream refused (${events.status})\n`);
    return 1;
  }
  const parser = createParser({ onEvent: (e) => show(JSON.parse(e.data) as JobStatus) });
  const decoder = new TextDecoder();
  const reader = events.body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parser.feed(decoder.decode(r.value, { stream: true }));
  if (tty) process.stderr.write('\n');
  for (const e of last.errors) process.stderr.write(`  ${e.document}: ${e.code}: ${e.message}\n`);
  process.stdout.write(`${JSON.stringify({ job: last.id, state: last.state, documents: last.documents, chunks: last.chunks })}\n`);
  return last.state === 'succeeded' ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main());
