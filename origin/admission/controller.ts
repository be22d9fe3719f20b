import type { Admission, AdmissionRequest } from '../pipeline/admission.ts';
import type { AdmissionConfig } from './config.ts';
import { Gate, type GateStats } from './gate.ts';

export interface GateSnapshot {
  upstream: string;
  model: string;
  active: number;
  queued: number;
  limit: number;
  queuedInteractive: number;
  queuedBatch: number;
  stats: GateStats;
  waitingByTenant: { interactive: Record<string, number>; batch: Record<string, number> };
}

/**
 * Admission control: one gate per upstream model (or per configured group of models sharing a
 * runner), created on first use, sized to the engine's parallel slots.
 */
export class AdmissionController implements Admission {
  private readonly gates = new Map<string, { gate: Gate; upstream: string; model: string }>();
  private readonly groupOf = new Map<string, AdmissionConfig['groups'][number]>();

  constructor(private readonly cfg: AdmissionConfig) {
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

  gateFor(upstream: string, model: string): Gate {
    const g = this.group(upstream, model);
    const key = g ? `group\u0000${g.name}` : `${upstream}\u0000${model}`;
    let entry = this.gates.get(key);
    if (!entry) {
      const slots = g ? g.slots : this.slotsFor(upstream, model);
      const gate = new Gate({
        label: g ? `model group '${g.name}' on upstream '${upstream}'` : `model '${model}' on upstream '${upstream}'`,
        slots,
        maxQueue: this.cfg.maxQueue,
        waitMs: { interactive: this.cfg.queueWaitMs, batch: this.cfg.batchQueueWaitMs ?? this.cfg.queueWaitMs },
        interactiveWeight: this.cfg.interactiveWeight,
        reserveInteractive: Math.min(this.cfg.reserveInteractive, slots - 1),
      });
      entry = { gate, upstream, model: g ? g.name : model };
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
    return this.gateFor(req.upstream, req.model).acquire(req.tenant.id, req.priority, req.signal);
  }

  snapshot(): GateSnapshot[] {
    return [...this.gates.values()].map(({ gate, upstream, model }) => ({
      upstream,
      model,
      active: gate.active,
      queued: gate.queued,
      limit: gate.s.slots,
      queuedInteractive: gate.queuedBy('interactive'),
      queuedBatch: gate.queuedBy('batch'),
      stats: { ...gate.stats },
      waitingByTenant: gate.waitingTenants(),
    }));
  }
}
