import type { Admission, AdmissionRequest, SlotGate } from '../core/admission.ts';
import type { AdmissionConfig } from './config.ts';
import type { EngineRoom } from './engine-room.ts';
import { Gate, type GateStats } from './gate.ts';
import { SharedGate } from './shared-gate.ts';
import type { SharedSlots } from './shared-slots.ts';

export interface GateSnapshot {
  upstream: string;
  model: string;
  active: number;
  queued: number;
  /** Slots that apply now (this replica's share while shared slots fall back). */
  limit: number;
  /** `redis`: slots shared by every replica; `replica`: decided here alone. */
  scope: 'redis' | 'replica';
  queuedInteractive: number;
  queuedBatch: number;
  stats: GateStats;
  /** Slots each capped tenant holds through this replica (admission.tenantShare). */
  heldByTenant: Record<string, number>;
  waitingByTenant: { interactive: Record<string, number>; batch: Record<string, number> };
  /** Why new requests are held for the engine now (its own metrics say it is saturated); absent when they are not. */
  engineSaturated?: string;
}

/**
 * Admission control: one gate per upstream model (or per configured group of models sharing a
 * runner), created on first use, sized to the engine's parallel slots. With `shared`, the slots
 * and the queue live in Redis and every replica in front of the engine shares them.
 */
export class AdmissionController implements Admission {
  private readonly gates = new Map<string, { gate: SlotGate; upstream: string; model: string; engine?: EngineRoom }>();
  private readonly groupOf = new Map<string, AdmissionConfig['groups'][number]>();

  constructor(
    private readonly cfg: AdmissionConfig,
    private readonly shared?: SharedSlots,
    /** What each upstream's engine says of its own load (engine-room.ts); none: slots alone decide. */
    private readonly engines?: (upstream: string) => EngineRoom,
    /** The measured service time of an engine and model, ms (origin/routing/engine-measures.ts). */
    private readonly measuredHoldMs?: (upstream: string, model: string) => number | undefined,
  ) {
    for (const g of cfg.groups) for (const m of g.models) this.groupOf.set(`${g.upstream}/${m}`, g);
  }

  private group(upstream: string, model: string) {
    return this.groupOf.get(`${upstream}/${model}`) ?? (model.endsWith(':latest') ? this.groupOf.get(`${upstream}/${model.slice(0, -7)}`) : undefined);
  }

  private slotsFor(upstream: string, model: string): number {
    const s = this.cfg.slots;
    const bare = model.endsWith(':latest') ? model.slice(0, -7) : model;
    return s[`${upstream}/${model}`] ?? s[`${upstream}/${bare}`] ?? s[model] ?? s[bare] ?? this.cfg.defaultSlots;
  }

  gateFor(upstream: string, model: string): SlotGate {
    const g = this.group(upstream, model);
    const key = g ? `group\u0000${g.name}` : `${upstream}\u0000${model}`;
    let entry = this.gates.get(key);
    if (!entry) {
      const slots = g ? g.slots : this.slotsFor(upstream, model);
      const label = g ? `model group '${g.name}' on upstream '${upstream}'` : `model '${model}' on upstream '${upstream}'`;
      const waitMs = { interactive: this.cfg.queueWaitMs, batch: this.cfg.batchQueueWaitMs ?? this.cfg.queueWaitMs };
      // Shared: this gate is the replica's share while Redis is away (slots / replicas, at least 1).
      const own = this.shared ? Math.max(1, Math.floor(slots / this.cfg.replicas)) : slots;
      const engine = this.engines?.(upstream);
      const local = new Gate({
        label,
        slots: own,
        maxQueue: this.cfg.maxQueue,
        waitMs,
        interactiveWeight: this.cfg.interactiveWeight,
        reserveInteractive: Math.min(this.cfg.reserveInteractive, own - 1),
        batchLookahead: this.cfg.preemptBatch ? this.cfg.batchLookahead : 0,
        ...(engine ? { engine } : {}),
        ...(this.measuredHoldMs && !g ? { measuredHoldMs: () => this.measuredHoldMs!(upstream, model) } : {}),
      });
      const gate = this.shared
        ? new SharedGate(local, this.shared, `${upstream}\u0000${key}`, {
            label,
            slots,
            batchCap: Math.max(1, slots - Math.min(this.cfg.reserveInteractive, slots - 1)),
            interactiveWeight: this.cfg.interactiveWeight,
            maxQueue: this.cfg.maxQueue,
            waitMs,
            ...(engine ? { engine } : {}),
          })
        : local;
      entry = { gate, upstream, model: g ? g.name : model, ...(engine ? { engine } : {}) };
      this.gates.set(key, entry);
    }
    return entry.gate;
  }

  /**
   * Requests admitted or waiting here for an upstream model. Counted from admission on, so
   * requests routed in the same instant already see each other (the upstream's own count starts
   * only when the request is sent).
   */
  load(upstream: string, model: string): number {
    const g = this.group(upstream, model);
    const e = this.gates.get(g ? `group\u0000${g.name}` : `${upstream}\u0000${model}`);
    return e ? e.gate.active + e.gate.queued : 0;
  }

  acquire(req: AdmissionRequest): Promise<() => void> {
    const preempt = this.cfg.preemptBatch && req.priority === 'batch' ? req.preempt : undefined;
    return this.gateFor(req.upstream, req.model).acquire(req.tenant.id, req.priority, req.signal, req.slots, this.shareOf(req.tenant), req.probe, preempt);
  }

  /**
   * The share of a pool's slots one tenant may hold at once. Without auth (`none`) every caller is
   * the one tenant `anonymous`: a cap would only leave slots idle, so there is none.
   */
  private shareOf(tenant: AdmissionRequest['tenant']): number {
    if (tenant.via === 'none') return 1;
    return this.cfg.tenantShare[tenant.id] ?? this.cfg.defaultTenantShare;
  }

  snapshot(): GateSnapshot[] {
    return [...this.gates.values()].map(({ gate, upstream, model, engine }) => ({
      upstream,
      model,
      active: gate.active,
      queued: gate.queued,
      limit: gate.limit,
      scope: gate.scope,
      queuedInteractive: gate.queuedBy('interactive'),
      queuedBatch: gate.queuedBy('batch'),
      stats: { ...gate.stats },
      heldByTenant: gate.heldByTenant(),
      waitingByTenant: gate.waitingTenants(),
      ...withSaturation(engine?.saturated()),
    }));
  }
}

function withSaturation(why: string | undefined): { engineSaturated?: string } {
  return why === undefined ? {} : { engineSaturated: why };
}
