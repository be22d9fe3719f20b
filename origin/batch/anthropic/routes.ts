/**
 * Anthropic's Message Batches (mounted under /v1), on the batch stage's store and runner:
 *   POST   /messages/batches               {"requests":[{"custom_id","params"}]}: each params a
 *                                          Messages request, checked in a worker thread
 *   GET    /messages/batches               ?before_id=&after_id=&limit=
 *   GET    /messages/batches/:id
 *   POST   /messages/batches/:id/cancel
 *   GET    /messages/batches/:id/results   JSONL, once processing_status is "ended"
 *   DELETE /messages/batches/:id           an ended batch, with its results
 * The requests become a batch input file of /v1/messages lines; from there the batch is validated,
 * leased, run in the batch class and finished like an OpenAI batch. Errors in Anthropic's shape.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { errors, PuertaError } from '../../../shared/errors.ts';
import type { OriginEnv } from '../../core/env.ts';
import { batchErrors } from '../errors.ts';
import { isTerminal } from '../lifecycle.ts';
import { query } from '../query.ts';
import type { BatchService } from '../service.ts';
import { MessageBatchQueries } from '../store/message-batches.ts';
import { fromMessageBatchId, messageBatch, resultLine, toMessageBatchId, type MessageBatch } from './objects.ts';

const ENDPOINT = '/v1/messages';

const listSchema = z.object({
  before_id: z.string().min(1).optional(),
  after_id: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1, 'at least 1').max(1000, 'at most 1000').default(20),
});

const notFound = (id: string) =>
  new PuertaError({ status: 404, type: 'not_found_error', code: 'batch_not_found', param: 'message_batch_id', message: `No message batch with id '${id}' among this tenant's batches`, retryable: false });

export function messageBatchRoutes(stage: BatchService): Hono<OriginEnv> {
  const app = new Hono<OriginEnv>();
  const q = new MessageBatchQueries(stage.store, ENDPOINT);
  const tenant = (c: Context<OriginEnv>) => c.get('tenant').id;

  /** The batch as Anthropic's object, or a 404 naming the id as the client sent it. */
  async function load(c: Context<OriginEnv>, given: string): Promise<MessageBatch> {
    const id = fromMessageBatchId(given);
    const t = id && (await q.tally(tenant(c), id));
    const b = t && (await stage.store.batch(tenant(c), id));
    if (!t || !b) throw notFound(given);
    return messageBatch(b, t);
  }

  app.post('/messages/batches', async (c) => {
    const t = c.get('tenant');
    const body = await c.req.arrayBuffer();
    const r = await stage.parser.run({ kind: 'message-batch', body, maxLines: stage.cfg.maxLines });
    if (!r.ok) throw batchErrors.invalidFile(r.errors);
    if (r.kind !== 'message-batch') throw new Error('the JSONL worker answered a message batch with another kind');
    const file = await stage.store.createFile({ tenant: t.id, filename: 'message_batch_requests.jsonl', purpose: 'batch', content: r.content, lineCount: r.lineCount });
    const b = await stage.store.createBatch({ tenant: t.id, endpoint: ENDPOINT, inputFileId: file.id, completionWindow: '24h', metadata: null, models: t.models ?? [], country: t.country, pop: t.pop, via: t.via });
    stage.wake();
    return c.json(await load(c, toMessageBatchId(b.id)));
  });

  app.get('/messages/batches', async (c) => {
    const l = query(c, listSchema);
    if (l.before_id && l.after_id) throw errors.badRequest('before_id, after_id: give one of them, not both', 'before_id');
    const cursor = (given: string | undefined) => (given === undefined ? undefined : (fromMessageBatchId(given) ?? given));
    const ids = await q.list(tenant(c), { before: cursor(l.before_id), after: cursor(l.after_id), limit: l.limit });
    const data = await Promise.all(ids.slice(0, l.limit).map((id) => load(c, toMessageBatchId(id))));
    return c.json({ data, has_more: ids.length > l.limit, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  });

  app.get('/messages/batches/:id', async (c) => c.json(await load(c, c.req.param('id'))));

  app.post('/messages/batches/:id/cancel', async (c) => {
    const given = c.req.param('id');
    const id = fromMessageBatchId(given);
    if (!id || !(await q.tally(tenant(c), id))) throw notFound(given);
    await stage.store.cancel(tenant(c), id);
    stage.wake();
    return c.json(await load(c, given));
  });

  app.get('/messages/batches/:id/results', async (c) => {
    const given = c.req.param('id');
    const b = await load(c, given);
    if (b.processing_status !== 'ended') throw errors.badRequest(`message batch '${given}' is ${b.processing_status}; its results are ready once processing_status is "ended"`, 'message_batch_id', 'batch_not_ended');
    const lines = await q.results(tenant(c), fromMessageBatchId(given)!);
    return c.body(lines.map(resultLine).join(''), 200, { 'content-type': 'application/binary' });
  });

  app.delete('/messages/batches/:id', async (c) => {
    const given = c.req.param('id');
    const id = fromMessageBatchId(given);
    const t = id && (await q.tally(tenant(c), id));
    if (!id || !t) throw notFound(given);
    if (!isTerminal(t.status)) throw errors.badRequest(`message batch '${given}' is still processing; cancel it and delete it once processing_status is "ended"`, 'message_batch_id', 'batch_not_ended');
    if (!(await q.delete(tenant(c), id))) throw notFound(given);
    return c.json({ id: given, type: 'message_batch_deleted' });
  });
  return app;
}
