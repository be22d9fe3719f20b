import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { z } from 'zod';
import { errors } from '../../shared/errors.ts';
import { JOB_DONE_EVENT } from '../../shared/job-events.ts';
import { parseJsonBody, type ParsedJson } from '../../shared/json-body.ts';
import { readJson, readJsonParsedBy } from '../http/read-json.ts';
import type { OriginEnv, TenantContext } from '../core/env.ts';
import { settingsFor } from './config.ts';
import { retrievalErrors } from './errors.ts';
import type { JobStatus } from './jobs.ts';
import { retrieve } from './retrieve.ts';
import { collectionName, documentId, documentSchema, searchSchema, uploadSchema } from './schemas.ts';
import type { RetrievalStage } from './stage.ts';

/** Bodies up to this many characters are parsed in place: about a millisecond. */
const PARSE_IN_PLACE_CHARS = 256 * 1024;

export function param<S extends z.ZodType>(c: Context, name: string, schema: S): z.infer<S> {
  const raw = c.req.param(name);
  const r = schema.safeParse(raw);
  if (!r.success) throw errors.badRequest(`${name} '${raw}' in the path: ${r.error.issues[0]!.message}`, name, 'invalid_path_parameter');
  return r.data;
}

/**
 * Collections, documents and ingestion jobs of one tenant. Mounted twice: under /v1 for the
 * tenant its key (or the edge) names, and under /admin/tenants/:tenant for operators.
 *   GET    /collections                              the tenant's collections with counts
 *   GET    /collections/:c                           one collection
 *   DELETE /collections/:c                           the collection, its documents and chunks
 *   GET    /collections/:c/documents                 documents with metadata and chunk counts
 *   POST   /collections/:c/documents[?wait=true]     upload {documents:[…]} → 202 {job}
 *   PUT    /collections/:c/documents/:id[?wait=true] upload or replace one document → 202 {job}
 *   DELETE /collections/:c/documents/:id             one document and its chunks
 *   POST   /collections/:c/search                    {query} → the chunks a RAG alias would use
 *   GET    /ingest/jobs/:job                         job status
 *   GET    /ingest/jobs/:job/events                  job progress as Server-Sent Events
 */
export function collectionRoutes(stage: RetrievalStage, tenantOf: (c: Context<OriginEnv>) => TenantContext): Hono<OriginEnv> {
  const app = new Hono<OriginEnv>();
  const ing = stage.cfg.ingest;
  const upload = uploadSchema(ing.maxDocumentBytes, ing.maxDocuments);
  const single = documentSchema(ing.maxDocumentBytes);
  const scope = (c: Context<OriginEnv>) => ({ tenant: tenantOf(c).id, collection: param(c, 'collection', collectionName) });
  // An upload may be as large as the body limit (16 MiB): parsing it would hold the event loop
  // for a noticeable time, so past a small size it is parsed in a document worker.
  const readUpload = <S extends z.ZodType>(c: Context<OriginEnv>, schema: S) =>
    readJsonParsedBy(c, schema, async (text): Promise<ParsedJson> => {
      if (text.length <= PARSE_IN_PLACE_CHARS) return parseJsonBody(text);
      const r = await stage.workers.parse(text, ing.cpuMsPerDocument, c.req.raw.signal);
      if (!r.ok) throw retrievalErrors.uploadNotRead(r.error);
      return r.value;
    });

  const accepted = async (c: Context<OriginEnv>, jobStatus: JobStatus, done: Promise<unknown>, base: string) => {
    if (c.req.query('wait') === 'true') {
      await done;
      return c.json({ job: jobStatus }, 200);
    }
    c.header('location', `${base}/ingest/jobs/${jobStatus.id}`);
    return c.json({ job: jobStatus }, 202);
  };
  const baseOf = (c: Context<OriginEnv>) => c.req.path.slice(0, c.req.path.indexOf('/collections'));
  const startJob = (c: Context<OriginEnv>, collection: string, docs: Parameters<RetrievalStage['ingest']>[2]) => {
    const job = stage.ingest(tenantOf(c), collection, docs);
    const done = job.finished ? Promise.resolve() : new Promise((r) => job.once('end', r));
    return accepted(c, job.status, done, baseOf(c));
  };

  app.get('/collections', async (c) => c.json({ collections: await stage.store.listCollections(tenantOf(c).id) }));

  app.get('/collections/:collection', async (c) => {
    const s = scope(c);
    const info = await stage.store.collection(s);
    if (!info) throw retrievalErrors.collectionNotFound(s.collection);
    return c.json(info);
  });

  app.delete('/collections/:collection', async (c) => {
    const s = scope(c);
    if (!(await stage.store.deleteCollection(s))) throw retrievalErrors.collectionNotFound(s.collection);
    return c.json({ deleted: true, collection: s.collection });
  });

  app.get('/collections/:collection/documents', async (c) => {
    const s = scope(c);
    const docs = await stage.store.listDocuments(s);
    if (!docs) throw retrievalErrors.collectionNotFound(s.collection);
    return c.json({ collection: s.collection, documents: docs });
  });

  app.post('/collections/:collection/documents', async (c) => {
    const s = scope(c);
    const body = await readUpload(c, upload);
    return startJob(c, s.collection, body.documents);
  });

  app.put('/collections/:collection/documents/:document', async (c) => {
    const s = scope(c);
    const id = param(c, 'document', documentId);
    const body = await readUpload(c, single);
    return startJob(c, s.collection, [{ ...body, id }]);
  });

  app.delete('/collections/:collection/documents/:document', async (c) => {
    const s = scope(c);
    const id = param(c, 'document', documentId);
    if (!(await stage.store.deleteDocument(s, id))) throw retrievalErrors.documentNotFound(s.collection, id);
    return c.json({ deleted: true, collection: s.collection, document: id });
  });

  app.post('/collections/:collection/search', async (c) => {
    const s = scope(c);
    const { query } = await readJson(c, searchSchema);
    const settings = settingsFor(stage.cfg, { collection: s.collection });
    const out = await retrieve(stage.store, stage.embedder, settings, { tenant: tenantOf(c), question: query, priority: 'interactive', signal: c.req.raw.signal, alias: '(search)' });
    return c.json({ collection: s.collection, candidates: out.candidates, citations: out.citations, tokens: out.tokensUsed, tokensSaved: out.saved, ms: out.ms });
  });

  app.get('/ingest/jobs/:job', (c) => {
    const job = stage.jobs.get(tenantOf(c).id, c.req.param('job'));
    if (!job) throw retrievalErrors.jobNotFound(c.req.param('job'));
    return c.json({ job: job.status });
  });

  app.get('/ingest/jobs/:job/events', (c) => {
    const job = stage.jobs.get(tenantOf(c).id, c.req.param('job'));
    if (!job) throw retrievalErrors.jobNotFound(c.req.param('job'));
    return streamSSE(c, async (sse) => {
      const send = (event: string, s: JobStatus) => sse.writeSSE({ event, data: JSON.stringify(s) });
      await send('progress', job.status);
      if (job.finished) return void (await send(JOB_DONE_EVENT, job.status));
      await new Promise<void>((resolve) => {
        const onProgress = (s: JobStatus) => void send('progress', s);
        const onEnd = (s: JobStatus) => {
          cleanup();
          void send(JOB_DONE_EVENT, s).then(resolve, resolve);
        };
        const cleanup = () => {
          job.off('progress', onProgress);
          job.off('end', onEnd);
          c.req.raw.signal.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          cleanup();
          resolve();
        };
        job.on('progress', onProgress);
        job.once('end', onEnd);
        c.req.raw.signal.addEventListener('abort', onAbort, { once: true });
      });
    });
  });
  return app;
}
