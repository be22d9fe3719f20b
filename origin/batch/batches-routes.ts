/**
 * OpenAI's Batch API (mounted under /v1):
 *   POST /batches               input_file_id, endpoint, completion_window "24h", metadata
 *   GET  /batches               ?after=&limit=
 *   GET  /batches/:id
 *   POST /batches/:id/cancel
 *   GET  /batches/:id/events    progress as Server-Sent Events: `event: progress` with the batch
 *                               object at each change, then `event: done` once it is final
 * A tenant sees and cancels only its own batches.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { errors } from '../../shared/errors.ts';
import { JOB_DONE_EVENT } from '../../shared/job-events.ts';
import { readJson } from '../http/read-json.ts';
import type { OriginEnv } from '../core/env.ts';
import { batchErrors } from './errors.ts';
import { isTerminal } from './lifecycle.ts';
import { query } from './query.ts';
import { createBatchSchema, listQuerySchema } from './schemas.ts';
import type { BatchService } from './service.ts';
import { BATCH_ENDPOINTS } from './types.ts';

/** How often the events stream reads the batch (the store is shared: progress made by any replica shows). */
const EVENTS_POLL_MS = 500;

export function batchRoutes(stage: BatchService): Hono<OriginEnv> {
  const app = new Hono<OriginEnv>();

  app.post('/batches', async (c) => {
    const t = c.get('tenant');
    const req = await readJson(c, createBatchSchema);
    const file = await stage.store.file(t.id, req.input_file_id);
    if (!file) throw errors.badRequest(`input_file_id: no file '${req.input_file_id}' among this tenant's files`, 'input_file_id', 'invalid_input_file');
    if (file.purpose !== 'batch') throw errors.badRequest(`input_file_id: file '${file.id}' has purpose '${file.purpose}'; a batch reads a file uploaded with purpose "batch"`, 'input_file_id', 'invalid_input_file');
    const batch = await stage.store.createBatch({
      tenant: t.id,
      endpoint: req.endpoint,
      inputFileId: file.id,
      completionWindow: req.completion_window,
      metadata: req.metadata ?? null,
      models: t.models ?? [],
      country: t.country,
      pop: t.pop,
      via: t.via,
    });
    stage.wake();
    return c.json(batch);
  });

  // OpenAI's endpoints only: a Message Batch (Anthropic's, endpoint /v1/messages) is not an OpenAI batch.
  app.get('/batches', async (c) => c.json(await stage.store.listBatches(c.get('tenant').id, { ...query(c, listQuerySchema), endpoints: BATCH_ENDPOINTS })));

  app.get('/batches/:id', async (c) => {
    const b = await stage.store.batch(c.get('tenant').id, c.req.param('id'));
    if (!b) throw batchErrors.batchNotFound(c.req.param('id'));
    return c.json(b);
  });

  app.post('/batches/:id/cancel', async (c) => {
    const b = await stage.store.cancel(c.get('tenant').id, c.req.param('id'));
    if (!b) throw batchErrors.batchNotFound(c.req.param('id'));
    stage.wake();
    return c.json(b);
  });

  app.get('/batches/:id/events', async (c) => {
    const tenant = c.get('tenant').id;
    const id = c.req.param('id');
    const first = await stage.store.batch(tenant, id);
    if (!first) throw batchErrors.batchNotFound(id);
    // The client leaving, or this replica shutting down, ends the stream.
    const signal = stage.drainSignal ? AbortSignal.any([c.req.raw.signal, stage.drainSignal]) : c.req.raw.signal;
    return streamSSE(c, async (sse) => {
      let last = '';
      let b = first;
      while (!signal.aborted) {
        const text = JSON.stringify(b);
        if (text !== last) await sse.writeSSE({ event: 'progress', data: text });
        last = text;
        if (isTerminal(b.status)) return void (await sse.writeSSE({ event: JOB_DONE_EVENT, data: text }));
        await new Promise<void>((r) => {
          const t = setTimeout(r, EVENTS_POLL_MS);
          signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
        });
        const now = await stage.store.batch(tenant, id);
        if (!now) return;
        b = now;
      }
    });
  });
  return app;
}
