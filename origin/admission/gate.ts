import { PuertaError } from '../../shared/errors.ts';
import type { GateStats, PriorityClass, QueueProbe, QueueStanding, SlotGate } from '../core/admission.ts';

export type { GateStats } from '../core/admission.ts';
import type { EngineRoom } from './engine-room.ts';
import { FairQueue } from './fair-queue.ts';
import { estimateWaitMs, retryAfterSeconds } from './wait-estimate.ts';
import type { Cancellation } from '../core/cancellation.ts';

interface Waiter {
  tenant: string;
  cls: PriorityClass;
  /** Slots this request occupies (an embedding batch runs one engine sequence per input). */
  weight: number;
  /** Slots counted against its tenant's cap (0: the tenant is not capped). */
  charge: number;
  /** Most slots its tenant may hold at once (Infinity: no cap). */
  cap: number;
  /** A batch request admission may stop for interactive work (it may take a lookahead place). */
  stoppable: boolean;
  enqueuedAt: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  signal: Cancellation;
  onAbort: () => void;
  timer: NodeJS.Timeout | undefined;
}

export interface GateSettings {
  label: string;
  slots: number;
  maxQueue: number;
  waitMs: Record<PriorityClass, number>;
  interactiveWeight: number;
  reserveInteractive: number;
  /**
   * Stoppable batch requests let in beyond the slots while only batch work runs: they wait
   * in the engine's own queue, so a slot the engine frees is taken at once instead of after the
   * origin hears of it and sends the next request. The first stopped for interactive work. 0: none.
   */
  batchLookahead?: number;
  /** The engine's own word on its load: while it says it is saturated, free slots are not handed out. */
  engine?: EngineRoom;
  /** The front door's measured service time of this engine and model (origin/routing/engine-measures.ts), ms: the hold estimate until this gate's first release. */
  measuredHoldMs?: () => number | undefined;
}

/**
 * Most slots of a pool of `slots` one tenant may hold at once: its share of them, rounded down,
 * at least 1 (a one-slot model is one tenant's at a time). A share of 1 is no cap at all.
 */
export function tenantCap(slots: number, share: number): number {
  return share >= 1 ? Infinity : Math.max(1, Math.floor(slots * share));
}

/** What a request counts against its tenant's cap. */
interface TenantCharge {
  tenant: string;
  charge: number;
  cap: number;
}

/**
 * The slots of one upstream model (or of a group of models sharing a runner) and the bounded
 * queue in front of them. Interactive work goes first; after `interactiveWeight` interactive
 * dispatches in a row a waiting batch request gets the next slot, so batch is slowed, not starved.
 * `active` counts slots in use: a request of weight n (a batch the engine runs as n sequences)
 * holds n of them, and a waiting one is admitted in its turn once n are free (the queue keeps its
 * order, so a large batch is delayed by smaller ones behind it only until its turn, never skipped).
 * A capped tenant holds at most its cap of them (`tenantCap`); while it does, its waiters are
 * passed over and keep their turn, so other tenants take the free slots.
 */
export class Gate implements SlotGate {
  active = 0;
  private readonly interactive = new FairQueue<Waiter>();
  private readonly batch = new FairQueue<Waiter>();
  private streak = 0;
  /** Moving average of how long a slot is held, for the wait estimate and Retry-After (1 s until the first release). */
  private holdMsAvg = 1_000;
  private holdSamples = 0;
  /** When each hold of a slot here began (one entry per slot of its weight), for the wait estimate. */
  private readonly holdStarts = new Set<{ at: number; weight: number }>();
  /** Batch holders that may be stopped for an interactive request, oldest first. */
  private readonly preemptible: Array<{ weight: number; preempt: () => void }> = [];
  /** Slots held by interactive requests admitted here (batchLookahead waits for none). */
  private interactiveHeld = 0;
  /** Slots freed by stopping batch holders, owed to the interactive waiters they were stopped for. */
  private owed = 0;
  /** Slots each capped tenant holds here. */
  private readonly tenantHeld = new Map<string, number>();
  readonly stats: GateStats = { admitted: 0, queuedAdmitted: 0, rejectedQueueFull: 0, rejectedWaitLimit: 0, cancelledWhileQueued: 0, queuedOverTenantShare: 0, queuedEngineSaturated: 0, waitMsTotal: 0, waitMsMax: 0 };

  constructor(readonly s: GateSettings) {
    // A reading that shows room (or one going stale) lets the held queue in.
    s.engine?.onChange(() => this.dispatch());
  }

  get queued(): number {
    return this.interactive.size + this.batch.size;
  }

  get limit(): number {
    return this.s.slots;
  }

  /** This replica's own slots, never shared. */
  get scope(): 'replica' {
    return 'replica';
  }

  queuedBy(cls: PriorityClass): number {
    return cls === 'interactive' ? this.interactive.size : this.batch.size;
  }

  waitingTenants(): { interactive: Record<string, number>; batch: Record<string, number> } {
    return { interactive: this.interactive.tenants(), batch: this.batch.tenants() };
  }

  /** Slots each capped tenant holds here now (for the admin view). */
  heldByTenant(): Record<string, number> {
    return Object.fromEntries(this.tenantHeld);
  }

  /** Whether the request's tenant may take `charge` more slots without passing its cap. */
  private readonly room = (r: TenantCharge): boolean => r.charge === 0 || (this.tenantHeld.get(r.tenant) ?? 0) + r.charge <= r.cap;

  private charge(tenant: string, n: number): void {
    if (n === 0) return;
    const left = (this.tenantHeld.get(tenant) ?? 0) + n;
    if (left > 0) this.tenantHeld.set(tenant, left);
    else this.tenantHeld.delete(tenant);
  }

  private capFor(cls: PriorityClass): number {
    return cls === 'interactive' ? this.s.slots : Math.max(1, this.s.slots - this.s.reserveInteractive);
  }

  /**
   * Slots a request of this class may bring the count to: a stoppable batch request, while the
   * model runs only batch work (no interactive request holds a slot or waits) and no slot is
   * reserved for interactive work, up to the lookahead past them (batchLookahead). With
   * interactive users about, the engine's queue stays empty: an arriving one then stops one line,
   * not also the one waiting in the engine.
   */
  private roomFor(cls: PriorityClass, stoppable: boolean): number {
    const batchOnly = this.interactive.size === 0 && this.interactiveHeld === 0;
    const lookahead = cls === 'batch' && stoppable && this.s.reserveInteractive === 0 && batchOnly ? (this.s.batchLookahead ?? 0) : 0;
    return this.capFor(cls) + lookahead;
  }

  /**
   * `share`: of these slots, the most the tenant may hold at once (1: no cap; see tenantCap). An
   * embedding batch wider than the cap still runs (on as many slots as it needs, when its tenant
   * holds none), and counts as the whole cap while it does.
   */
  acquire(tenant: string, cls: PriorityClass, signal: Cancellation, slots = 1, share = 1, probe?: QueueProbe, preempt?: () => void): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const stoppable = cls === 'batch' ? preempt : undefined;
    // More than the class may ever hold would wait forever: such a request takes all it may have.
    const weight = Math.max(1, Math.min(slots, this.capFor(cls)));
    const cap = tenantCap(this.s.slots, share);
    const mine: TenantCharge = { tenant, cap, charge: cap === Infinity ? 0 : Math.min(weight, cap) };
    // Nobody who may run waits in this class or above, the slots are free and the tenant is under
    // its cap: straight in, no allocation but the release.
    const ahead = this.interactive.peek(this.room) !== undefined || (cls === 'batch' && this.batch.peek(this.room) !== undefined);
    const saturated = this.s.engine?.saturated();
    if (!ahead && saturated === undefined && this.active + weight <= this.roomFor(cls, stoppable !== undefined) && this.room(mine)) {
      this.active += weight;
      this.charge(tenant, mine.charge);
      this.stats.admitted++;
      return Promise.resolve(this.releaser(weight, mine, stoppable, cls));
    }
    if (this.queued >= this.s.maxQueue) {
      this.stats.rejectedQueueFull++;
      return Promise.reject(this.busy('queue_full', `its queue is full (${this.queued} waiting, limit ${this.s.maxQueue})`));
    }
    return new Promise<() => void>((resolve, reject) => {
      const w: Waiter = {
        ...mine,
        cls,
        weight,
        stoppable: stoppable !== undefined,
        enqueuedAt: Date.now(),
        resolve: () => resolve(this.releaser(weight, mine, stoppable, cls)),
        reject,
        signal,
        onAbort: () => {
          if (this.dequeue(w)) {
            this.stats.cancelledWhileQueued++;
            reject(signal.reason);
          }
        },
        timer: undefined,
      };
      const limit = this.s.waitMs[cls];
      w.timer = setTimeout(() => {
        if (!this.dequeue(w)) return;
        this.stats.rejectedWaitLimit++;
        // Still at its share: what kept it waiting was its own tenant's streams, not a busy model.
        if (!this.room(w)) reject(shareExceeded(this.s.label, tenant, w.cap, this.s.slots, limit, this.holdMs));
        else reject(this.busy('queue_wait_exceeded', `this request waited ${limit} ms for one of its ${this.s.slots} slots (the queue wait limit; ${this.queued} still waiting)${engineHeld(this.s.engine)}`));
      }, limit);
      signal.addEventListener('abort', w.onAbort, { once: true });
      if (!this.room(w)) this.stats.queuedOverTenantShare++;
      if (saturated !== undefined) this.stats.queuedEngineSaturated++;
      (cls === 'interactive' ? this.interactive : this.batch).push(w);
      if (probe) probe.standing = () => this.standingOf(w);
      if (cls === 'interactive') this.preemptFor();
    });
  }

  /**
   * Where a waiter stands: interactive waiters go first, then batch (batch's own turns after
   * `interactiveWeight` interactive dispatches are not counted, so a batch waiter's estimate
   * errs long); within a class, the tenants' turns as they stand now.
   */
  private standingOf(w: Waiter): QueueStanding | undefined {
    const ahead = w.cls === 'interactive' ? this.interactive.ahead(w) : this.batch.ahead(w);
    if (ahead < 0) return undefined;
    const position = ahead + 1 + (w.cls === 'batch' ? this.interactive.size : 0);
    return { position, estimatedWaitMs: estimateWaitMs(position, this.capFor(w.cls), this.holdMs, this.heldForMs()) };
  }

  private dequeue(w: Waiter): boolean {
    const removed = (w.cls === 'interactive' ? this.interactive : this.batch).remove(w);
    if (removed) this.cleanup(w);
    return removed;
  }

  private cleanup(w: Waiter): void {
    if (w.timer) clearTimeout(w.timer);
    w.signal.removeEventListener('abort', w.onAbort);
  }

  /**
   * Takes a slot granted elsewhere (the queue shared through Redis), so this gate's count stays
   * the slots this replica holds; the returned release gives it back here too.
   */
  occupy(waitedMs: number, weight = 1, tenant: TenantCharge = { tenant: '', charge: 0, cap: Infinity }): () => void {
    this.active += weight;
    this.charge(tenant.tenant, tenant.charge);
    this.stats.admitted++;
    if (waitedMs > 0) {
      this.stats.queuedAdmitted++;
      this.stats.waitMsTotal += waitedMs;
      if (waitedMs > this.stats.waitMsMax) this.stats.waitMsMax = waitedMs;
    }
    return this.releaser(weight, tenant);
  }

  /** How long each slot held here has been held (ms). */
  heldForMs(): number[] {
    const now = Date.now();
    const out: number[] = [];
    for (const h of this.holdStarts) for (let i = 0; i < h.weight; i++) out.push(now - h.at);
    return out;
  }

  /** Moving average of how long a slot is held (ms), for the wait estimate and Retry-After; before the first release here, the engine's measured service time. */
  get holdMs(): number {
    return this.holdSamples === 0 ? (this.s.measuredHoldMs?.() ?? this.holdMsAvg) : this.holdMsAvg;
  }

  /**
   * Stops the most recently started preemptible batch holders until the interactive waiters'
   * slots are free or on their way (a stopped holder releases its slot as its request ends).
   */
  private preemptFor(): void {
    let short = this.interactive.size - (this.s.slots - this.active) - this.owed;
    while (short > 0) {
      const h = this.preemptible.pop();
      if (!h) return;
      this.owed += h.weight;
      short -= h.weight;
      h.preempt();
    }
  }

  private releaser(weight: number, t: TenantCharge, preempt?: () => void, cls?: PriorityClass): () => void {
    const start = Date.now();
    const interactive = cls === 'interactive' ? weight : 0;
    this.interactiveHeld += interactive;
    const hold = { at: start, weight };
    this.holdStarts.add(hold);
    const stoppable = preempt ? { weight, preempt } : undefined;
    if (stoppable) {
      this.preemptible.push(stoppable);
      // Interactive work already waiting (it came while this batch request was being let in).
      if (this.interactive.size > 0) this.preemptFor();
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.holdStarts.delete(hold);
      if (stoppable) {
        const i = this.preemptible.indexOf(stoppable);
        if (i >= 0) this.preemptible.splice(i, 1);
      }
      // The first release replaces the 1 s guess; later ones move the average a tenth of the way.
      const held = Date.now() - start;
      this.holdMsAvg = this.holdSamples++ === 0 ? held : this.holdMsAvg * 0.9 + held * 0.1;
      this.active -= weight;
      this.interactiveHeld -= interactive;
      this.charge(t.tenant, -t.charge);
      this.dispatch();
    };
  }

  /**
   * Gives free slots to waiters: interactive first, batch on its turn or when no interactive waits;
   * a tenant at its cap is passed over, its waiters keeping their turn.
   */
  private dispatch(): void {
    if (this.s.engine?.saturated() !== undefined) return;
    for (;;) {
      const nextBatch = this.batch.peek(this.room);
      const batchMayRun = nextBatch !== undefined && this.active + nextBatch.weight <= this.roomFor('batch', nextBatch.stoppable);
      const nextInteractive = this.interactive.peek(this.room);
      let w: Waiter | undefined;
      // Slots freed by stopping batch lines go to the interactive waiters they were stopped for.
      if (!nextInteractive) this.owed = 0;
      if (nextInteractive && !(batchMayRun && this.streak >= this.s.interactiveWeight && this.owed === 0)) {
        // The head waits for enough free slots; nothing behind it overtakes.
        if (this.active + nextInteractive.weight > this.s.slots) return;
        w = this.interactive.shift(this.room);
        this.streak++;
        if (w) this.owed = Math.max(0, this.owed - w.weight);
      } else if (batchMayRun) {
        w = this.batch.shift(this.room);
        this.streak = 0;
      }
      if (!w) return;
      this.cleanup(w);
      const waited = Date.now() - w.enqueuedAt;
      this.stats.admitted++;
      this.stats.queuedAdmitted++;
      this.stats.waitMsTotal += waited;
      if (waited > this.stats.waitMsMax) this.stats.waitMsMax = waited;
      this.active += w.weight;
      this.charge(w.tenant, w.charge);
      w.resolve();
    }
  }

  private busy(code: string, why: string): PuertaError {
    return busyError(this.s.label, code, why, this.queued, this.s.slots, this.holdMs, this.heldForMs());
  }
}

/** What held a request back, for its 503: the engine's own saturation, when it still says so. */
export function engineHeld(engine: EngineRoom | undefined): string {
  const why = engine?.saturated();
  return why === undefined ? '' : `; ${why}`;
}

/**
 * The 429 of a request that waited its whole wait limit while its tenant held its share of the
 * slots: the tenant's own requests kept it out, and one of them ending lets the next in.
 */
export function shareExceeded(label: string, tenant: string, cap: number, slots: number, waitedMs: number, holdMs: number): PuertaError {
  const retryAfter = retryAfterSeconds(holdMs);
  return new PuertaError({
    status: 429,
    type: 'rate_limit_error',
    code: 'tenant_share_exceeded',
    message: `tenant '${tenant}' holds ${cap} of the ${slots} slots of ${label}, the most one tenant may hold at once (admission.tenantShare); this request waited ${waitedMs} ms (the queue wait limit) for one of them to end; retry after ${retryAfter} s`,
    retryAfter,
    retryable: true,
  });
}

/** The 503 of a busy model, with a Retry-After of the estimated wait behind the `queued` ahead of it. */
export function busyError(label: string, code: string, why: string, queued: number, slots: number, holdMs: number, heldForMs: readonly number[] = []): PuertaError {
  const retryAfter = retryAfterSeconds(estimateWaitMs(queued + 1, slots, holdMs, heldForMs));
  return new PuertaError({
    status: 503,
    type: 'overloaded_error',
    code,
    message: `${label} is busy: ${why}; retry after ${retryAfter} s`,
    retryAfter,
    retryable: true,
  });
}
