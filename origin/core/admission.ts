import type { TenantContext } from './tenant.ts';
import type { Cancellation } from './cancellation.ts';

export type PriorityClass = 'interactive' | 'batch';

export interface AdmissionRequest {
  upstream: string;
  model: string;
  tenant: TenantContext;
  priority: PriorityClass;
  signal: Cancellation;
  /** Engine slots the request occupies: 1, or one per input of an embedding batch (capped by the gate). */
  slots?: number;
  /** Filled by the gate while the request waits, so its keepalives can tell where it stands. */
  probe?: QueueProbe;
  /**
   * Stops this batch-class request (it ends without an answer and runs again later) so a waiting
   * interactive request gets its slot at once; absent: it keeps its slot until it ends.
   */
  preempt?: () => void;
}

/** Where a waiting request stands in its model's queue (1: next in), and its estimated wait. */
export interface QueueStanding {
  position: number;
  estimatedWaitMs: number;
}

/** Set by the gate that queues the request; answers undefined once the request is out of the queue. */
export interface QueueProbe {
  standing?: () => QueueStanding | undefined;
}

/** Returns a release function once the request may go to the upstream; called exactly once. */
export interface Admission {
  acquire(req: AdmissionRequest): Promise<() => void>;
  /** Per upstream model: requests running and waiting (for metrics and /readyz). */
  snapshot?(): Array<{ upstream: string; model: string; active: number; queued: number; limit: number; scope?: 'redis' | 'replica'; stats?: { queuedEngineSaturated: number } }>;
}

/** What one gate has done since it was made (counters only), for metrics and the console. */
export interface GateStats {
  admitted: number;
  /** Admitted after waiting in the queue. */
  queuedAdmitted: number;
  rejectedQueueFull: number;
  rejectedWaitLimit: number;
  cancelledWhileQueued: number;
  /** Requests queued because their tenant already held its share of the slots when they came. */
  queuedOverTenantShare: number;
  /** Requests queued because the engine's own metrics said it was saturated when they came. */
  queuedEngineSaturated: number;
  waitMsTotal: number;
  waitMsMax: number;
}

/**
 * The slots of one upstream model (or group of models sharing a runner) and the queue in front of
 * them: the replica's own (admission/gate.ts) or leased through Redis from a pool every replica
 * shares (admission/shared-gate.ts). The controller holds gates only through this.
 */
export interface SlotGate {
  /** Slots in use. */
  readonly active: number;
  readonly queued: number;
  /** Slots that apply now. */
  readonly limit: number;
  /** `redis`: slots shared by every replica; `replica`: decided here alone. */
  readonly scope: 'redis' | 'replica';
  readonly stats: GateStats;
  queuedBy(cls: PriorityClass): number;
  waitingTenants(): { interactive: Record<string, number>; batch: Record<string, number> };
  heldByTenant(): Record<string, number>;
  /** Resolves with the release once the request holds its slots; rejects when it may not wait. */
  acquire(tenant: string, cls: PriorityClass, signal: Cancellation, slots?: number, share?: number, probe?: QueueProbe, preempt?: () => void): Promise<() => void>;
}

/** Plain pass-through: every request goes straight to the upstream. */
export const noAdmission: Admission = {
  acquire: async () => () => {},
};

/**
 * Engine slots a request occupies: Ollama runs an embedding batch as one sequence per input, each
 * on a slot of its own, so a batch of n inputs holds min(n, slots) of them (the gate caps it).
 */
export function slotsOf(input: unknown): number {
  return Array.isArray(input) ? Math.max(1, input.length) : 1;
}
