import type { TenantContext } from '../types.ts';

export type PriorityClass = 'interactive' | 'batch';

export interface AdmissionRequest {
  upstream: string;
  model: string;
  tenant: TenantContext;
  priority: PriorityClass;
  signal: AbortSignal;
}

/** Returns a release function once the request may go to the upstream; called exactly once. */
export interface Admission {
  acquire(req: AdmissionRequest): Promise<() => void>;
  /** Per upstream model: requests running and waiting (for metrics and /readyz). */
  snapshot?(): Array<{ upstream: string; model: string; active: number; queued: number; limit: number; scope?: 'redis' | 'replica' }>;
}

/** Plain pass-through: every request goes straight to the upstream. */
export const noAdmission: Admission = {
  acquire: async () => () => {},
};
