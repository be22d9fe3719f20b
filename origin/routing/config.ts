import { z } from 'zod';
import { envBool } from '../audit/config.ts';
import { aliasRetrievalSchema } from '../retrieval/config.ts';

/**
 * A persona: a public model name served by an upstream model with parameters injected, so one
 * loaded model can serve "plan", "fast", "code" and "agent" profiles.
 */
export const personaSchema = z
  .object({
    /** The upstream model that serves it. */
    model: z.string().min(1),
    /** Only this upstream (default: any upstream serving the model). */
    upstream: z.string().min(1).optional(),
    /** Put first in every conversation, ahead of the client's own system messages. */
    system: z.string().optional(),
    /** Default temperature (a client's own value wins). */
    temperature: z.coerce.number().min(0).max(2).optional(),
    /** Default reasoning effort (Ollama `think`; OpenAI `reasoning_effort`); a client's own value wins. */
    reasoningEffort: z.enum(['low', 'medium', 'high']).optional(),
    /** Context window (Ollama options.num_ctx), always applied: it decides the engine's memory. */
    numCtx: z.coerce.number().int().positive().optional(),
    /** Answer from a collection of the calling tenant (RAG): origin/retrieval/config.ts. */
    retrieval: aliasRetrievalSchema.optional(),
  })
  .strict();
export type Persona = z.infer<typeof personaSchema>;

const pinnedSchema = z.union([z.string().min(1).transform((model): { model: string; upstream?: string | undefined } => ({ model })), z.object({ model: z.string().min(1), upstream: z.string().min(1).optional() }).strict()]);

export const routingConfigSchema = z
  .object({
    /** Public model name → persona. */
    aliases: z.record(z.string().min(1), personaSchema).default({}),
    /** Models loaded at start and kept resident (keep_alive -1 on every request to them). */
    pinned: z.array(pinnedSchema).default([]),
    health: z
      .object({
        /**
         * Period of the one upstream poller (origin/upstream/poller.ts): active health checks, and
         * the metrics' loaded models, VRAM and restart detection. 0 turns it off (passive ejection stays).
         */
        intervalMs: z.coerce.number().int().min(0).default(10_000),
        /** Longest one poll may take before it counts as a failed check. */
        timeoutMs: z.coerce.number().int().min(50).default(2_000),
        /** Consecutive failed checks before an upstream is out of rotation. */
        unhealthyAfter: z.coerce.number().int().min(1).default(2),
        /** Consecutive failed requests (connect, reset, timeout, 5xx) before passive ejection. */
        ejectAfterFailures: z.coerce.number().int().min(1).default(3),
        /** First ejection length; doubles for each ejection in a row, up to maxEjectMs. */
        ejectMs: z.coerce.number().int().min(100).default(10_000),
        maxEjectMs: z.coerce.number().int().min(100).default(120_000),
      })
      .prefault({}),
    /**
     * Session affinity that follows the engines' KV cache (origin/routing/affinity.ts): a
     * conversation's turns go to the engine that served its last turn, while that engine is
     * healthy and not much busier than the least-loaded one.
     */
    affinity: z
      .object({
        enabled: envBool(true),
        /** Requests more in flight (or queued) than the least-loaded engine the session's engine may have and keep it. */
        slack: z.coerce.number().int().min(0).default(2),
        /** How long a conversation is remembered after its last turn (an idle agent session's cache is evicted by then). */
        ttlMs: z.coerce.number().int().min(1_000).default(30 * 60_000),
        /** Conversations remembered in each replica's memory (least recently used dropped first). */
        maxSessions: z.coerce.number().int().min(1).default(50_000),
      })
      .prefault({}),
    /**
     * Models warmed by demand (origin/routing/demand-warm.ts): per engine, the models asked for
     * recently are loaded before they are needed, and idle ones are let go.
     */
    demandWarm: z
      .object({
        enabled: envBool(false),
        /** How far back demand counts. */
        windowMs: z.coerce.number().int().min(1_000).default(15 * 60_000),
        /** Requests in the window that make a model wanted on every engine serving it. */
        minRequests: z.coerce.number().int().min(1).default(3),
        /** How often wanted models are checked and loaded. */
        intervalMs: z.coerce.number().int().min(1_000).default(60_000),
        /** Wanted models loaded on one engine, the most asked for first (those it already holds count). */
        maxModelsPerEngine: z.coerce.number().int().min(1).default(2),
        /** keep_alive given to a model loaded by demand; it unloads this long after its last request. */
        keepAlive: z.string().min(1).default('20m'),
      })
      .prefault({}),
    /** A model load (the engine's load_duration) longer than this counts as a cold load in metrics. */
    coldLoadMs: z.coerce.number().int().min(1).default(500),
  })
  .prefault({});
export type RoutingConfig = z.infer<typeof routingConfigSchema>;

export const ROUTING_ENV: ReadonlyArray<readonly [env: string, path: string]> = [
  ['HEALTH_CHECK_INTERVAL_MS', 'routing.health.intervalMs'],
  ['HEALTH_CHECK_TIMEOUT_MS', 'routing.health.timeoutMs'],
  ['EJECT_AFTER_FAILURES', 'routing.health.ejectAfterFailures'],
  ['EJECT_MS', 'routing.health.ejectMs'],
  ['ROUTING_AFFINITY', 'routing.affinity.enabled'],
  ['AFFINITY_SLACK', 'routing.affinity.slack'],
  ['AFFINITY_TTL_MS', 'routing.affinity.ttlMs'],
  ['DEMAND_WARM', 'routing.demandWarm.enabled'],
  ['DEMAND_WARM_KEEP_ALIVE', 'routing.demandWarm.keepAlive'],
  ['COLD_LOAD_MS', 'routing.coldLoadMs'],
];
