import type { SinkRegion } from '../audit/policy.ts';
import type { RetrievalConfig } from './config.ts';

/**
 * Where the retrieval store keeps documents and vectors, for the residency check at start: the
 * user's database where DATABASE_REGION says, the embedded one in the origin's own region.
 */
export function retrievalStoreRegion(cfg: RetrievalConfig): SinkRegion | undefined {
  if (!cfg.enabled) return undefined;
  if (cfg.databaseUrl) {
    if (!cfg.databaseRegion) return undefined;
    return { path: ['retrieval', 'databaseRegion'], sink: `(DATABASE_URL host ${hostOf(cfg.databaseUrl)})`, region: cfg.databaseRegion, what: 'the retrieval database', fix: 'use a database in an allowed region or change the policy' };
  }
  // The embedded database lives in this process, in the origin's own region: checked as such already.
  return undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'unparsable';
  }
}
