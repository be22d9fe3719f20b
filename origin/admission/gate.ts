import { PuertaError } from '../../shared/errors.ts';
import type { PriorityClass } from '../pipeline/admission.ts';
import { FairQueue } from './fair-queue.ts';

interface Waiter {
  tenant: string;
  cls: PriorityClass;
  /** Slots this request occupies (an embedding batch runs one engine sequence per input). */
  weight: number;
  enqueuedAt: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  signal: AbortSignal;
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
}

export interface GateStats {
  admitted: number;
  /** Admitted after waiting in the queue. */
  queuedAdmitted: number;
  rejectedQueueFull: number;
  rejectedWaitLimit: number;
  cancelledWhileQueued: number;
  waitMsTotal: number;
  waitMsMax: number;
}

/**
 * The slots of one upstream model (or of a group of models sharing a runner) and the bounded
 * queue in front of them. Interactive work goes first; after `interactiveWeight` interactive
 * dispatches in a row a waiting batch request gets the next slot, so batch is slowed, not starved.
 * `active` counts slots in use: a request of weight n (a batch the engine runs as n sequences)
 * holds n of them, and a waiting one is admitted in its turn once n are free (the queue keeps its
 * order, so a large batch is delayed by smaller ones behind it only until its turn, never skipped).
 */
export class Gate {
  active = 0;
  private readonly interactive = new FairQueue<Waiter>();
  private readonly batch = new FairQueue<Waiter>();
  private streak = 0;
  /** Moving average of how long a slot is held, for Retry-After. */
  private holdMsAvg = 1_000;
  readonly stats: GateStats = { admitted: 0, queuedAdmitted: 0, rejectedQueueFull: 0, rejectedWaitLimit: 0, cancelledWhileQueued: 0, waitMsTotal: 0, waitMsMax: 0 };

  constructor(readonly s: GateSettings) {}

  get queued(): number {
    return this.interactive.size + this.batch.size;
  }

  get limit(): number {
    return this.s.slots;
  }

  queuedBy(cls: PriorityClass): number {
    return cls === 'interactive' ? this.interactive.size : this.batch.size;
  }

  waitingTenants(): { interactive: Record<string, number>; batch: Record<string, number> } {
    return { interactive: this.interactive.tenants(), batch: this.batch.tenants() };
  }

  private capFor(cls: PriorityClass): number {
    return cls === 'interactive' ? this.s.slots : Math.max(1, this.s.slots - this.s.reserveInteractive);
  }

  acquire(tenant: string, cls: PriorityClass, signal: AbortSignal, slots = 1): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    // More than the class may ever hold would wait forever: such a request takes all it may have.
    const weight = Math.max(1, Math.min(slots, this.capFor(cls)));
    // Nobody of this class or above waits and the slots are free: straight in, no allocation but the release.
    const ahead = cls === 'interactive' ? this.interactive.size : this.interactive.size + this.batch.size;
    if (ahead === 0 && this.active + weight <= this.capFor(cls)) {
      this.active += weight;
      this.stats.admitted++;
      return Promise.resolve(this.releaser(weight));
    }
    if (this.queued >= this.s.maxQueue) {
      this.stats.rejectedQueueFull++;
      return Promise.reject(this.busy('queue_full', `its queue is full (${this.queued} waiting, limit ${this.s.maxQueue})`));
    }
    return new Promise<() => void>((resolve, reject) => {
      const w: Waiter = {
        tenant,
        cls,
        weight,
        enqueuedAt: Date.now(),
        resolve: () => resolve(this.releaser(weight)),
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
        reject(this.busy('queue_wait_exceeded', `this request waited ${limit} ms for one of its ${this.s.slots} slots (the queue wait limit; ${this.queued} still waiting)`));
      }, limit);
      signal.addEventListener('abort', w.onAbort, { once: true });
      (cls === 'interactive' ? this.interactive : this.batch).push(w);
    });
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
  occupy(waitedMs: number, weight = 1): () => void {
    this.active += weight;
    this.stats.admitted++;
    if (waitedMs > 0) {
      this.stats.queuedAdmitted++;
      this.stats.waitMsTotal += waitedMs;
      if (waitedMs > this.stats.waitMsMax) this.stats.waitMsMax = waitedMs;
    }
    return this.releaser(weight);
  }

  /** Moving average of how long a slot is held (ms), for Retry-After. */
  get holdMs(): number {
    return this.holdMsAvg;
  }

  private releaser(weight: number): () => void {
    const start = Date.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.holdMsAvg = this.holdMsAvg * 0.9 + (Date.now() - start) * 0.1;
      this.active -= weight;
      this.dispatch();
    };
  }

  /** Gives free slots to waiters: interactive first, batch on its turn or when no interactive waits. */
  private dispatch(): void {
    while (this.active < this.s.slots) {
      const nextBatch = this.batch.peek();
      const batchMayRun = nextBatch !== undefined && this.active + nextBatch.weight <= this.capFor('batch');
      const nextInteractive = this.interactive.peek();
      let w: Waiter | undefined;
      if (nextInteractive && !(batchMayRun && this.streak >= this.s.interactiveWeight)) {
        // The head waits for enough free slots; nothing behind it overtakes.
        if (this.active + nextInteractive.weight > this.s.slots) return;
        w = this.interactive.shift();
        this.streak++;
      } else if (batchMayRun) {
        w = this.batch.shift();
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
      w.resolve();
    }
  }

  private busy(code: string, why: string): PuertaError {
    return busyError(this.s.label, code, why, this.queued, this.s.slots, this.holdMsAvg);
  }
}

/** The 503 of a busy model, with a Retry-After of the turns the queue ahead of it needs. */
export function busyError(label: string, code: string, why: string, queued: number, slots: number, holdMs: number): PuertaError {
  const slotsTurns = Math.ceil((queued + 1) / slots);
  const retryAfter = Math.min(60, Math.max(1, Math.ceil((slotsTurns * holdMs) / 1000)));
  return new PuertaError({
    status: 503,
    type: 'overloaded_error',
    code,
    message: `${label} is busy: ${why}; retry after ${retryAfter} s`,
    retryAfter,
    retryable: true,
  });
}
