/** The origin's timers, through the origin's own loader (same env names, file and validation). */
import { loadOriginConfig } from '../../../origin/config/load.ts';
import type { OriginConfig } from '../../../origin/config/schema.ts';

export interface OriginTimers {
  keepaliveMs: number;
  /** Undefined when the origin config has no admission queue wait limit. */
  queueWaitMs?: number;
  queueWaitField?: string;
  admissionMode: 'queue' | 'off';
  /** admission.slots: explicit slots per `model` or `upstream/model`. */
  slots: Record<string, number>;
  upstreams: Array<{ name: string; url: string; connectTimeoutMs: number; firstByteTimeoutMs: number; idleTimeoutMs: number }>;
  source: string;
}

/**
 * The admission queue's longest wait (origin/admission/config.ts): the larger of the interactive
 * and batch limits. With admission off the origin does not bound the wait at all (Ollama queues
 * loaded-model requests without limit), so there is no value to check against.
 */
function queueWait(cfg: OriginConfig): { ms: number; field: string } | undefined {
  const a = cfg.admission;
  if (a.mode === 'off') return undefined;
  if (a.batchQueueWaitMs !== undefined && a.batchQueueWaitMs > a.queueWaitMs) return { ms: a.batchQueueWaitMs, field: 'admission.batchQueueWaitMs' };
  return { ms: a.queueWaitMs, field: 'admission.queueWaitMs' };
}

export function readOriginConfig(opts: { env?: NodeJS.ProcessEnv; file?: string } = {}): OriginTimers {
  const env = { ...(opts.env ?? process.env) };
  // The checker needs timers, not a reachable upstream: a placeholder satisfies the schema's min(1).
  const placeholder = !env.OLLAMA_URL && !opts.file && !env.PUERTA_ORIGIN_CONFIG;
  if (placeholder) env.OLLAMA_URL = 'http://127.0.0.1:11434';
  const cfg = loadOriginConfig({ env, ...(opts.file ? { file: opts.file } : {}) });
  const qw = queueWait(cfg);
  return {
    keepaliveMs: cfg.stream.keepaliveMs,
    ...(qw ? { queueWaitMs: qw.ms, queueWaitField: qw.field } : {}),
    admissionMode: cfg.admission.mode,
    slots: cfg.admission.slots,
    upstreams: cfg.upstreams.map((u) => ({
      name: u.name,
      url: u.url,
      connectTimeoutMs: u.connectTimeoutMs,
      firstByteTimeoutMs: u.firstByteTimeoutMs,
      idleTimeoutMs: u.idleTimeoutMs,
    })),
    source: opts.file ?? env.PUERTA_ORIGIN_CONFIG ?? 'origin/config/schema.ts defaults + environment',
  };
}
