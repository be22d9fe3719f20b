/**
 * The timeout chain of one deployment, normalised: every hop's timers in milliseconds plus the
 * workload they must carry. Built from the real config files (sources/) or read from a JSON file
 * (`--layout`), so the rules never care where a value came from; `source` fields say it for the table.
 */
import { z } from 'zod';
import { timerSchema } from './timers.ts';

const ms = z.number().int().nonnegative();

/** How a client's timer behaves decides which rule it must satisfy. */
export const clientTimerKind = z.enum([
  /** Longest silence between bytes (read timeout): keepalives reset it. */
  'idle',
  /** Whole response must finish within it: a long generation hits it no matter what. */
  'total',
  /** Until response headers: for a non-streaming request that is the whole generation. */
  'first-byte',
]);
export type ClientTimerKind = z.infer<typeof clientTimerKind>;

export const clientSchema = z.object({
  name: z.string().min(1),
  kinds: z.array(clientTimerKind).min(1),
  timeoutMs: ms,
  /** Where the default is documented, and how to change it. */
  source: z.string(),
  setting: z.string(),
});
export type ClientTimeout = z.infer<typeof clientSchema>;

export const modelLoadSchema = z.object({
  name: z.string().min(1),
  upstream: z.string().min(1),
  kind: z.enum(['chat', 'embedding']).default('chat'),
  coldLoadMs: ms,
  prefillTokensPerSec: z.number().positive(),
  /** Single-stream decode rate on an idle box; 0 for embedding models. */
  decodeTokensPerSec: z.number().nonnegative(),
  numParallel: z.number().int().positive(),
  /** Share of the GPU one active request takes (sim/ timing model). */
  computeWeight: z.number().positive(),
  maxInputTokens: z.number().int().nonnegative(),
  maxOutputTokens: z.number().int().nonnegative(),
});
export type ModelLoad = z.infer<typeof modelLoadSchema>;

export const layoutSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(''),
  edge: z
    .object({
      platform: z.enum(['fastly', 'workers']),
      /** Fastly shielding or clustering: requests hop between Fastly nodes (60 s between-bytes cap). */
      shielding: z.boolean(),
      connectTimeoutMs: ms,
      firstByteTimeoutMs: ms,
      betweenBytesTimeoutMs: ms,
      source: z.string(),
    })
    .nullable(),
  origin: z.object({
    keepaliveMs: z.number().int().positive(),
    /** Longest a request waits in the origin's admission queue for an engine slot. */
    queueWaitMs: ms,
    queueWaitSource: z.string(),
    upstreams: z
      .array(z.object({ name: z.string(), connectTimeoutMs: ms, firstByteTimeoutMs: ms, idleTimeoutMs: ms }))
      .min(1),
    /** server.shutdownGraceMs, and the service manager's stop timeout (systemd TimeoutStopSec) when known. */
    shutdownGraceMs: ms.optional(),
    stopTimeoutMs: ms.optional(),
    /** The upstream poller (routing.health). */
    health: z.object({ intervalMs: ms, timeoutMs: ms }).optional(),
    source: z.string(),
  }),
  upstream: z.object({
    /** OLLAMA_LOAD_TIMEOUT (how long a load may stall), when known. */
    loadTimeoutMs: ms.optional(),
    /** Summed computeWeight the GPU runs before every request slows (sim/ model). */
    boxCapacity: z.number().positive().default(1),
    source: z.string(),
    /** What the upstream said when probed (version, loaded models). */
    probe: z.string().optional(),
  }),
  models: z.array(modelLoadSchema).min(1),
  clients: z.array(clientSchema),
  /** Every timer of the path with its source, for the inventory table (rules read the fields above). */
  timers: z.array(timerSchema).default([]),
});
export type Layout = z.infer<typeof layoutSchema>;
export type LayoutInput = z.input<typeof layoutSchema>;
