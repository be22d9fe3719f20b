import type { Logger } from 'pino';
import type { OriginConfig } from '../config/schema.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';
import type { Admission } from './admission.ts';
import type { Observers } from './record.ts';

/** What every route needs; built once at start (origin/app.ts) and passed down. */
export interface OriginDeps {
  cfg: OriginConfig;
  log: Logger;
  registry: UpstreamRegistry;
  observers: Observers;
  admission: Admission;
  /** Aborted when the grace period of a shutdown is over: open streams end with an error event. */
  shutdownSignal: AbortSignal;
}
