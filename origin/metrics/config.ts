import { z } from 'zod';
import { envBool } from '../audit/config.ts';

export const metricsConfigSchema = z.object({
  /** Serve `GET /metrics` (Prometheus text format). */
  enabled: envBool(true),
  /** When set, scrapes must send `Authorization: Bearer <token>`. */
  token: z.string().min(16, 'use at least 16 characters (openssl rand -hex 16)').optional(),
  /**
   * GPU memory of each upstream's box, bytes, for the VRAM headroom gauge (Ollama does not report
   * it). A DGX Spark has 128 GB of unified memory: 137438953472. Per upstream name, or `*` for all.
   */
  gpuMemoryBytes: z
    .preprocess((v) => (typeof v === 'string' || typeof v === 'number' ? { '*': Number(v) } : v), z.record(z.string(), z.number().int().positive()))
    .default({}),
});
export type MetricsConfig = z.infer<typeof metricsConfigSchema>;

export const METRICS_ENV: ReadonlyArray<readonly [string, string]> = [
  ['METRICS_ENABLED', 'metrics.enabled'],
  ['METRICS_TOKEN', 'metrics.token'],
  ['GPU_MEMORY_BYTES', 'metrics.gpuMemoryBytes'],
];
