import type { Logger } from 'pino';
import { noAdmission, type Admission } from '../pipeline/admission.ts';
import type { RedisClient } from '../quota/redis-client.ts';
import type { AdmissionConfig } from './config.ts';
import { AdmissionController } from './controller.ts';
import { EngineSaturation } from './engine-room.ts';
import { SharedSlots } from './shared-slots.ts';

export interface CreatedAdmission {
  admission: Admission;
  /** Requests admitted or waiting here per upstream model (for routing). */
  load: (upstream: string, model: string) => number;
  /** The slots shared through Redis, when they are. */
  shared: SharedSlots | null;
  /** Takes the engines' own load readings (the upstream poller's), for holding work while an engine is saturated. */
  engines: EngineSaturation | null;
  close(): Promise<void>;
}

/**
 * The configured admission: the controller (`queue`), or plain pass-through (`off`, kept for the
 * storm benchmark's baseline and for engines that queue well themselves). With Redis (scope
 * `auto` or `redis`), the slots and their queue are shared by every origin replica.
 */
export function createAdmission(
  cfg: AdmissionConfig,
  redis: { client: RedisClient; keyPrefix: string; commandTimeoutMs: number } | undefined,
  log: Logger,
  /** How old an engine load reading may be and still count (a few poll periods). */
  engineStaleMs = 30_000,
  /** The measured service time of an engine and model, ms: the wait estimate's hold time until a gate has its own. */
  measuredHoldMs?: (upstream: string, model: string) => number | undefined,
): CreatedAdmission {
  if (cfg.mode === 'off') return { admission: noAdmission, load: () => 0, shared: null, engines: null, close: async () => {} };
  const shared =
    cfg.scope !== 'replica' && redis
      ? new SharedSlots(redis.client, { keyPrefix: redis.keyPrefix, leaseTtlMs: cfg.leaseTtlMs, replicas: cfg.replicas, connectWaitMs: redis.commandTimeoutMs, outageMs: 2 * redis.commandTimeoutMs }, log)
      : null;
  if (shared) log.info({ replicas: cfg.replicas, leaseTtlMs: cfg.leaseTtlMs }, 'engine slots leased through redis (one queue shared by every replica)');
  const engines = new EngineSaturation({ waiting: cfg.engineWaitingLimit, kvCacheUsage: cfg.engineKvCacheLimit, staleMs: engineStaleMs });
  const c = new AdmissionController(cfg, shared ?? undefined, (upstream) => engines.room(upstream), measuredHoldMs);
  return {
    admission: c,
    load: (upstream, model) => c.load(upstream, model),
    shared,
    engines,
    close: async () => {
      engines.close();
      await shared?.close();
    },
  };
}
