import type { SinkRegion } from '../audit/policy.ts';
import type { BatchConfig } from './config.ts';

/**
 * Where the batch store keeps files (prompts and answers), for the residency check at start: the
 * operator's database where BATCH_DATABASE_REGION says; the embedded one is in the origin's own region.
 */
export function batchStoreRegion(cfg: BatchConfig): SinkRegion | undefined {
  if (!cfg.enabled || !cfg.databaseUrl || !cfg.databaseRegion) return undefined;
  let host = 'unparsable';
  try {
    host = new URL(cfg.databaseUrl).host;
  } catch {
    /* named as unparsable */
  }
  return { path: ['batch', 'databaseRegion'], sink: `(BATCH_DATABASE_URL host ${host})`, region: cfg.databaseRegion, what: 'the batch database', fix: 'use a database in an allowed region or change the policy' };
}
