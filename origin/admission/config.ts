import { z } from 'zod';
import { envBool } from '../audit/config.ts';

const priority = z.enum(['interactive', 'batch']);

/**
 * Admission control in front of the engine. Each upstream model gets as many slots as the engine
 * runs in parallel (OLLAMA_NUM_PARALLEL), so the engine never holds a hidden unbounded queue; the
 * origin's own queue is bounded, ordered by priority class and fair between tenants.
 */
export const admissionConfigSchema = z
  .object({
    /** `queue`: admission control; `off`: plain pass-through (every request goes straight to the engine). */
    mode: z.enum(['queue', 'off']).default('queue'),
    /** Slots per upstream model when nothing more specific is configured (the engine's OLLAMA_NUM_PARALLEL). */
    defaultSlots: z.coerce.number().int().min(1).max(4096).default(4),
    /** `model` or `upstream/model` → slots (e.g. {"gpt-oss:120b": 2}). */
    slots: z.record(z.string().min(1), z.coerce.number().int().min(1).max(4096)).default({}),
    /**
     * Models that share one set of slots on one upstream (one runner or one GPU serving both chat
     * and embeddings): their requests queue together, so priority applies across them.
     */
    groups: z
      .array(
        z.object({
          name: z.string().min(1),
          upstream: z.string().min(1),
          models: z.array(z.string().min(1)).min(1),
          slots: z.coerce.number().int().min(1).max(4096),
        }),
      )
      .default([]),
    /** Requests waiting per upstream model; beyond it, 503 at once. */
    maxQueue: z.coerce.number().int().min(0).default(512),
    /**
     * Longest wait for a slot; beyond it 503 with Retry-After. Keep it below the edge's first-byte
     * timeout minus the model load time (the chain in docs/design.md "Timeouts").
     */
    queueWaitMs: z.coerce.number().int().min(1).default(30_000),
    /** Wait limit of the batch class (defaults to queueWaitMs). */
    batchQueueWaitMs: z.coerce.number().int().min(1).optional(),
    /**
     * Interactive requests dispatched in a row, while batch work waits, before one batch request
     * gets a slot: interactive first, but batch is never starved.
     */
    interactiveWeight: z.coerce.number().int().min(1).default(8),
    /** Slots of each model that batch work never takes, kept for interactive requests. */
    reserveInteractive: z.coerce.number().int().min(0).default(0),
    /**
     * An interactive request that finds its model's slots held by batch lines stops the most
     * recently started of them (on this replica) and takes its slot at once; the stopped line
     * goes back to its batch unanswered, at no cost to its tries, and runs again later. Off: an
     * interactive request waits for a batch line to end (a whole generation).
     */
    preemptBatch: envBool(true),
    /**
     * With preemptBatch: batch lines let in beyond a model's slots, while it runs only batch work
     * (no interactive request holds a slot or waits), to wait in the engine's own queue. A slot the engine frees is then taken by the
     * engine itself at once, not after the origin hears of it and sends the next line (a round
     * trip through both event loops per line). Interactive work never queues behind them: they
     * are the first lines stopped for it, an interactive request is let in only while the count
     * is below the slots, and while one holds a slot none is let past them. 0: the engine never
     * holds a queue.
     */
    batchLookahead: z.coerce.number().int().min(0).max(64).default(1),
    /**
     * Largest share of one slot pool (a model, or a model group) that one tenant may hold at once:
     * floor(slots × share), at least 1; 1 turns the cap off. A tenant's requests beyond it wait in
     * the queue (keepalives flowing) while other tenants take the free slots, so one tenant's
     * clients (never-reading streams included) cannot pin every slot of a model. Requests of
     * `auth.mode: none` (one tenant for every caller) are never capped.
     */
    defaultTenantShare: z.coerce.number().positive().max(1).default(0.5),
    /** Tenant id → its share when it differs from defaultTenantShare (e.g. {"batch-co": 1}). */
    tenantShare: z.record(z.string().min(1), z.coerce.number().positive().max(1)).default({}),
    /** Tenant id → priority class for all its requests (a batch tenant cannot raise itself by header). */
    tenantPriority: z.record(z.string().min(1), priority).default({}),
    /**
     * Where the slots are counted. `redis`: leased through Redis and shared by every origin
     * replica in front of the same engines, with one queue (priority and tenant fairness hold
     * across replicas); `replica`: each process alone; `auto`: redis when Redis is configured.
     */
    scope: z.enum(['auto', 'redis', 'replica']).default('auto'),
    /**
     * Origin replicas in front of the same engines. While Redis is unreachable each replica
     * admits slots / replicas (at least 1), so the engine is never oversubscribed by more than
     * the rounding.
     */
    replicas: z.coerce.number().int().min(1).max(1024).default(1),
    /** Lease of a shared slot: renewed while held; a dead replica's slots return this long after it died. */
    leaseTtlMs: z.coerce.number().int().min(1_000).default(10_000),
    /**
     * For upstreams with `metricsPath` (vLLM): while the engine reports more requests waiting in
     * its own queue than this, new requests wait in the origin's queue (priority, tenant turns,
     * keepalives, the wait limit) instead of piling onto the engine's; admitted as soon as a
     * reading shows room. A reading older than three polls counts as none.
     */
    engineWaitingLimit: z.coerce.number().int().min(0).default(0),
    /** Likewise while the engine reports more of its KV cache in use than this share; 1 turns it off. */
    engineKvCacheLimit: z.coerce.number().min(0).max(1).default(0.95),
    /** Request header a client may use to choose its class (`interactive` or `batch`); empty disables. */
    priorityHeader: z.string().default('x-priority'),
  })
  .prefault({});
export type AdmissionConfig = z.infer<typeof admissionConfigSchema>;

export const ADMISSION_ENV: ReadonlyArray<readonly [env: string, path: string]> = [
  ['ADMISSION_MODE', 'admission.mode'],
  ['OLLAMA_NUM_PARALLEL', 'admission.defaultSlots'],
  ['ADMISSION_MAX_QUEUE', 'admission.maxQueue'],
  ['QUEUE_WAIT_MS', 'admission.queueWaitMs'],
  ['BATCH_QUEUE_WAIT_MS', 'admission.batchQueueWaitMs'],
  ['ADMISSION_RESERVE_INTERACTIVE', 'admission.reserveInteractive'],
  ['ADMISSION_PREEMPT_BATCH', 'admission.preemptBatch'],
  ['ADMISSION_BATCH_LOOKAHEAD', 'admission.batchLookahead'],
  ['ADMISSION_TENANT_SHARE', 'admission.defaultTenantShare'],
  ['ADMISSION_SCOPE', 'admission.scope'],
  ['ORIGIN_REPLICAS', 'admission.replicas'],
  ['ADMISSION_LEASE_TTL_MS', 'admission.leaseTtlMs'],
  ['ADMISSION_ENGINE_WAITING_LIMIT', 'admission.engineWaitingLimit'],
  ['ADMISSION_ENGINE_KV_LIMIT', 'admission.engineKvCacheLimit'],
];
