/**
 * OpenAI's Files API, for batch input and output files (mounted under /v1):
 *   POST   /files               multipart: purpose "batch", file (JSONL, every line checked)
 *   GET    /files               ?purpose=&after=&limit=
 *   GET    /files/:id
 *   GET    /files/:id/content
 *   DELETE /files/:id
 * A tenant sees and deletes only its own files.
 */
import { Hono } from 'hono';
import { errors } from '../../shared/errors.ts';
import type { OriginEnv } from '../types.ts';
import { batchErrors } from './errors.ts';
import { query } from './query.ts';
import { listFilesQuerySchema } from './schemas.ts';
import type { BatchService } from './service.ts';

export function fileRoutes(stage: BatchService): Hono<OriginEnv> {
  const app = new Hono<OriginEnv>();
  const tenant = (c: { get(k: 'tenant'): { id: string } }) => c.get('tenant').id;

  app.post('/files', async (c) => {
    const contentType = c.req.header('content-type') ?? '';
    if (!contentType.toLowerCase().startsWith('multipart/form-data')) throw errors.badRequest('send the file as multipart/form-data with the fields `purpose` ("batch") and `file`', 'file', 'invalid_content_type');
    // Read here (I/O only); parsed and checked in a worker thread.
    const body = await c.req.arrayBuffer();
    const r = await stage.parser.run({ kind: 'upload', body, contentType, maxLines: stage.cfg.maxLines, maxFileBytes: stage.cfg.maxFileBytes });
    if (!r.ok) throw batchErrors.invalidFile(r.errors);
    if (r.kind !== 'upload') throw new Error('the JSONL worker answered an upload with lines');
    const file = await stage.store.createFile({ tenant: tenant(c), filename: r.filename, purpose: r.purpose, content: r.content, lineCount: r.lineCount });
    return c.json(file);
  });

  app.get('/files', async (c) => {
    const q = query(c, listFilesQuerySchema);
    return c.json(await stage.store.listFiles(tenant(c), q));
  });

  app.get('/files/:id', async (c) => {
    const f = await stage.store.file(tenant(c), c.req.param('id'));
    if (!f) throw batchErrors.fileNotFound(c.req.param('id'));
    return c.json(f);
  });

  app.get('/files/:id/content', async (c) => {
    const content = await stage.store.fileContent(tenant(c), c.req.param('id'));
    if (!content) throw batchErrors.fileNotFound(c.req.param('id'));
    if (content instanceof Uint8Array) return c.body(new Uint8Array(content), 200, { 'content-type': 'application/octet-stream' });
    // An output or error file, read a page of lines at a time as the client takes it.
    const pages = content[Symbol.asyncIterator]();
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        const page = await pages.next();
        if (page.done) ctl.close();
        else ctl.enqueue(enc.encode(page.value));
      },
      async cancel() {
        await pages.return?.(undefined);
      },
    });
    return c.body(body, 200, { 'content-type': 'application/octet-stream' });
  });

  app.delete('/files/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await stage.store.deleteFile(tenant(c), id))) throw batchErrors.fileNotFound(id);
    return c.json({ id, object: 'file', deleted: true });
  });
  return app;
}
