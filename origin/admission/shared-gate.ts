import { createHash } from 'node:crypto';
import type { PriorityClass, QueueProbe, QueueStanding, SlotGate } from '../core/admission.ts';
import type { EngineRoom } from './engine-room.ts';
import { FairQueue } from './fair-queue.ts';
import { busyError, engineHeld, shareExceeded, tenantCap, type Gate, type GateStats } from './gate.ts';
import type { LeasedGate, SharedSlots } from './shared-slots.ts';
import { acquireAnswers, sweepAnswer, type AcquireAnswer } from './slot-answers.ts';
import { SLOT_KEY_NAMES } from './slot-lua.ts';
import { TurnBuffer } from '../redis/turn-batches.ts';
import { estimateWaitMs } from './wait-estimate.ts';
import type { Cancellation } from '../core/cancellation.ts';

export interface SharedGateSettings {
  label: string;
  /** The engine's slots, shared by every replica. */
  slots: number;
  /** Slots batch work may hold (slots minus those reserved for interactive work). */
  batchCap: number;
  interactiveWeight: number;
  /** Waiting requests across every replica. */
  maxQueue: number;
  waitMs: Record<PriorityClass, number>;
  /** The engine's own word on its load: while it says it is saturated, new requests wait here before the shared queue. */
  engine?: EngineRoom;
}

/** Pause before a slot script whose answer timed out is sent again. */
const RETRY_MS = 50;

interface RemoteWaiter {
  id: string;
  tenant: string;
  cls: PriorityClass;
  /** Engine slots it occupies (an embedding batch: one per input). */
  weight: number;
  /** Its tenant's share of the slots (1: not capped), and what it counts against that cap. */
  share: number;
  charge: number;
  cap: number;
  queuedAt: number;
  /** Its enqueue script is on the way; a grant message can overtake the script's answer. */
  sending: boolean;
  /** Redis last said its tenant holds its share (it waits for one of its own slots, not for the model). */
  heldBack: boolean;
  grantSeen: boolean;
  /** Held on this replica, not yet in the shared queue, while the engine says it is saturated. */
  holding: boolean;
  done: boolean;
  resolve: (release: () => void) => void;
  reject: (e: unknown) => void;
  signal: Cancellation;
  onAbort: () => void;
  timer: NodeJS.Timeout | undefined;
  /** Its keepalives' view of where it stands (see standingOf). */
  probe: QueueProbe | undefined;
  /** Stops it for interactive work once granted (a batch request with admission.preemptBatch). */
  preempt: (() => void) | undefined;
  /** A stop message for its lease came before the answer that granted it. */
  stopSeen: boolean;
}

/**
 * The slots of one upstream model shared by every origin replica through Redis (slot-lua.ts):
 * the queue, its priority classes and its tenant fairness are global. The replica's own Gate
 * keeps counting the slots this replica holds and takes over, with slots / replicas, while
 * Redis is unreachable, so admission is never unbounded.
 */
export class SharedGate implements SlotGate, LeasedGate {
  private readonly waiters = new Map<string, RemoteWaiter>();
  /** Lease id → slots it occupies, its owner (see ownerOf) and how to stop it while it may be, for what this replica holds (renewed in Redis). */
  private readonly held = new Map<string, { weight: number; owner: string; preempt: (() => void) | undefined }>();
  /**
   * What every slot script of this gate is sent first: the leases key (the script derives the
   * gate's other keys from it, slot-lua.ts) and ARGV 1..5, as the strings ioredis would make of them.
   */
  private readonly head: readonly string[];
  /** The acquire script's: the head and the max queue (ARGV 6). */
  private readonly acquireHead: readonly string[];
  /** Ids to give back in Redis at the end of this turn of the event loop (see leave). */
  private readonly leaving = new TurnBuffer<string>((ids) => this.sendLeaves(ids));
  /** Requests to put in the shared queue at the end of this turn of the event loop (see enqueue). */
  private readonly joining = new TurnBuffer<RemoteWaiter>((ws) => this.sendAcquires(ws));
  /** Waiters held back while the engine reports saturation, in their class and tenant turns. */
  private readonly holding = { interactive: new FairQueue<RemoteWaiter>(), batch: new FairQueue<RemoteWaiter>() };

  constructor(
    /** This replica's share, and the count of what it holds. */
    readonly local: Gate,
    private readonly slots: SharedSlots,
    name: string,
    readonly settings: SharedGateSettings,
  ) {
    const tag = createHash('sha256').update(name).digest('hex').slice(0, 16);
    const base = `${slots.opts.keyPrefix}slots:{${tag}}:`;
    this.head = [base + SLOT_KEY_NAMES[0], String(slots.opts.leaseTtlMs), String(settings.slots), String(settings.batchCap), String(settings.interactiveWeight), slots.channelPrefix];
    this.acquireHead = [...this.head, String(settings.maxQueue)];
    slots.register(this);
    settings.engine?.onChange(() => this.releaseHeld());
  }

  get active(): number {
    return this.local.active;
  }

  get queued(): number {
    return this.local.queued + this.waiters.size;
  }

  get stats(): GateStats {
    return this.local.stats;
  }

  /** The limit that applies now: the engine's slots, or this replica's share during a Redis outage. */
  get limit(): number {
    return this.slots.shared() ? this.settings.slots : this.local.limit;
  }

  get scope(): 'redis' | 'replica' {
    return this.slots.shared() ? 'redis' : 'replica';
  }

  queuedBy(cls: PriorityClass): number {
    let n = this.local.queuedBy(cls);
    for (const w of this.waiters.values()) if (w.cls === cls) n++;
    return n;
  }

  waitingTenants(): { interactive: Record<string, number>; batch: Record<string, number> } {
    const out = this.local.waitingTenants();
    for (const w of this.waiters.values()) {
      const m = out[w.cls];
      m[w.tenant] = (m[w.tenant] ?? 0) + 1;
    }
    return out;
  }

  /** Slots each capped tenant holds through this replica (for the admin view). */
  heldByTenant(): Record<string, number> {
    return this.local.heldByTenant();
  }

  /**
   * `slots`: engine slots the request occupies (an embedding batch), in the shared queue as in the
   * local one. `share`: the most of the engine's slots its tenant may hold at once, counted across
   * every replica in Redis (1: no cap).
   *
   * `preempt` stops a batch request for interactive work: on shared slots Redis picks the most
   * recently granted stoppable lease (of any replica) and tells its holder (slot-lua.ts), on the
   * fallback share the local gate does. A stop message lost on the way only means the request
   * runs to its end, as without preemption.
   */
  acquire(tenant: string, cls: PriorityClass, signal: Cancellation, slots = 1, share = 1, probe?: QueueProbe, preempt?: () => void): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    // More than the class may ever hold would wait forever: such a request takes all it may have.
    const weight = Math.max(1, Math.min(slots, cls === 'interactive' ? this.settings.slots : this.settings.batchCap));
    const cap = tenantCap(this.settings.slots, share);
    const t = { tenant, cls, signal, weight, share, cap, charge: cap === Infinity ? 0 : Math.min(weight, cap), probe, preempt: cls === 'batch' ? preempt : undefined };
    const usable = this.slots.usable();
    if (usable === true) return this.acquireShared(t);
    if (usable === false) return this.acquireLocal(t, slots);
    return usable.then((ok) => (ok ? this.acquireShared(t) : this.acquireLocal(t, slots)));
  }

  private acquireLocal(t: Pick<RemoteWaiter, 'tenant' | 'cls' | 'signal' | 'share' | 'charge' | 'cap' | 'probe' | 'preempt'>, slots: number): Promise<() => void> {
    // The local gate stops it if need be; in Redis it is an ordinary lease (re-asserted after an outage).
    return this.local.acquire(t.tenant, t.cls, t.signal, slots, t.share, t.probe, t.preempt).then((release) => this.hold(this.slots.newId(), slots, ownerOf(t), release, undefined));
  }

  private acquireShared(t: Pick<RemoteWaiter, 'tenant' | 'cls' | 'signal' | 'weight' | 'share' | 'charge' | 'cap' | 'probe' | 'preempt'>): Promise<() => void> {
    return new Promise<() => void>((resolve, reject) => {
      // Fields copied one by one: a spread followed by more fields costs 10-30 µs in V8 here
      // (the copy's map takes every added field through the runtime), on every request.
      const w: RemoteWaiter = {
        tenant: t.tenant,
        cls: t.cls,
        signal: t.signal,
        weight: t.weight,
        share: t.share,
        charge: t.charge,
        cap: t.cap,
        probe: t.probe,
        preempt: t.preempt,
        id: this.slots.newId(),
        queuedAt: Date.now(),
        sending: true,
        heldBack: false,
        grantSeen: false,
        holding: false,
        stopSeen: false,
        done: false,
        resolve,
        reject,
        onAbort: () => {
          if (w.done) return;
          this.local.stats.cancelledWhileQueued++;
          this.giveUp(w, t.signal.reason);
        },
        timer: undefined,
      };
      this.waiters.set(w.id, w);
      if (t.probe) t.probe.standing = () => this.standingOf(w);
      t.signal.addEventListener('abort', w.onAbort, { once: true });
      if (this.settings.engine?.saturated() === undefined) this.enqueue(w);
      else this.holdForEngine(w);
    });
  }

  /**
   * Where a waiter stands as this replica sees it: its own waiters, interactive first, then in
   * arrival order. The shared queue's order across replicas (and its tenant tags) is Redis's, and
   * asking it on every keepalive would cost a round trip each, so waiters of other replicas are
   * not counted: with several replicas the position and the estimate err short.
   */
  private standingOf(w: RemoteWaiter): QueueStanding | undefined {
    if (w.done) return undefined;
    let position = 1;
    for (const o of this.waiters.values()) {
      if (o === w) continue;
      if (o.cls === w.cls ? o.queuedAt < w.queuedAt || (o.queuedAt === w.queuedAt && o.id < w.id) : o.cls === 'interactive') position++;
    }
    const slots = w.cls === 'interactive' ? this.settings.slots : this.settings.batchCap;
    return { position, estimatedWaitMs: estimateWaitMs(position, slots, this.local.holdMs, this.local.heldForMs()) };
  }

  /**
   * The engine says it is saturated: the request waits on this replica (its wait limit running)
   * rather than take a slot the shared queue would hand out at once.
   */
  private holdForEngine(w: RemoteWaiter): void {
    w.holding = true;
    this.local.stats.queuedEngineSaturated++;
    this.holding[w.cls].push(w);
    this.waitLimit(w);
  }

  /** The engine has room again (or its reading went stale): held requests join the shared queue, interactive first. */
  private releaseHeld(): void {
    if (this.settings.engine?.saturated() !== undefined) return;
    for (const q of [this.holding.interactive, this.holding.batch]) {
      for (let w = q.shift(); w; w = q.shift()) {
        w.holding = false;
        this.enqueue(w);
      }
    }
  }

  /**
   * Into the shared queue. The requests of one turn of the event loop go as one script (a burst
   * of requests for one model costs one command, not one each), sent at the end of the turn.
   */
  private enqueue(w: RemoteWaiter): void {
    w.sending = true;
    // Redis sees acquires and leaves in the order they were asked for: the leaves asked for before this go first.
    this.leaving.flush();
    this.joining.push(w);
  }

  private sendAcquires(joining: RemoteWaiter[]): void {
    // Given up or moved to the local share meanwhile: nothing to ask Redis for.
    const batch = joining.filter((w) => !w.done);
    if (batch.length === 0) return;
    const args = acquireArgs(this.acquireHead, batch);
    this.slots.scripts
      .puertaSlotAcquire(...args)
      .then((reply) => acquireAnswers(reply, batch.map((w) => w.id)))
      .then(
        (answers) => {
          this.slots.ok();
          batch.forEach((w, i) => this.joined(w, answers[i]!));
        },
        (err: unknown) => {
          for (const w of batch) w.sending = false;
          // Falling back moves every waiter of this replica (these too) to the local share; a
          // slow answer, or one not meant for them, is asked again (the script is idempotent per id).
          if (this.slots.failed(err)) {
            for (const w of batch) if (!w.done) this.toLocal(w);
          } else setTimeout(() => batch.forEach((w) => !w.done && this.enqueue(w)), RETRY_MS).unref();
        },
      );
  }

  /** Redis's answer to a request's acquire. */
  private joined(w: RemoteWaiter, { status, waiting, heldBack }: AcquireAnswer): void {
    const s = this.settings;
    w.sending = false;
    w.heldBack = heldBack;
    if (w.done) {
      // Given up or moved to the local share while the answer was on its way.
      if (status !== -1) this.leave(w.id);
      return;
    }
    if (status === 1 && !w.grantSeen) return this.grant(w, 0);
    if (w.grantSeen) return this.grant(w);
    if (status === -1) {
      this.local.stats.rejectedQueueFull++;
      this.forget(w);
      w.reject(busyError(s.label, 'queue_full', `its queue across every origin replica is full (${waiting} waiting, limit ${s.maxQueue})`, waiting, s.slots, this.local.holdMs, this.local.heldForMs()));
      return;
    }
    if (w.heldBack && !w.timer) this.local.stats.queuedOverTenantShare++;
    this.waitLimit(w);
  }

  /** The queue wait limit, counted from arrival (time held for the engine counts too); set once. */
  private waitLimit(w: RemoteWaiter): void {
    const s = this.settings;
    const limit = s.waitMs[w.cls];
    w.timer ??= setTimeout(() => {
      if (w.done) return;
      this.local.stats.rejectedWaitLimit++;
      this.giveUp(
        w,
        w.heldBack
          ? shareExceeded(s.label, w.tenant, w.cap, s.slots, limit, this.local.holdMs)
          : busyError(s.label, 'queue_wait_exceeded', `this request waited ${limit} ms for one of its ${s.slots} slots (the queue wait limit; ${this.queued - 1} still waiting here)${engineHeld(s.engine)}`, this.queued, s.slots, this.local.holdMs, this.local.heldForMs()),
      );
    }, Math.max(0, limit - (Date.now() - w.queuedAt)));
  }

  private forget(w: RemoteWaiter): void {
    if (w.holding) this.holding[w.cls].remove(w);
    w.holding = false;
    w.done = true;
    // Out of the queue, it has no standing; the probe lives as long as the stream and would keep the waiter.
    if (w.probe) w.probe.standing = undefined;
    this.waiters.delete(w.id);
    if (w.timer) clearTimeout(w.timer);
    w.signal.removeEventListener('abort', w.onAbort);
  }

  /** `waitedMs` 0: straight in, no queueing (the round trip to Redis is not a wait). */
  private grant(w: RemoteWaiter, waitedMs = Date.now() - w.queuedAt): void {
    if (w.done) return;
    this.forget(w);
    // The tenant's charge only: the local release lives as long as the stream, the waiter need not.
    const charge = { tenant: w.tenant, charge: w.charge, cap: w.cap };
    const release = this.hold(w.id, w.weight, ownerOf(w), this.local.occupy(waitedMs, w.weight, charge), w.preempt);
    if (w.stopSeen) this.stop(w.id);
    w.resolve(release);
  }

  /** Wait limit or client gone: out of the shared queue, and a slot granted meanwhile goes back. */
  private giveUp(w: RemoteWaiter, err: unknown): void {
    // Held for the engine, it never reached Redis: nothing there to give back.
    const queuedInRedis = !w.holding;
    this.forget(w);
    if (queuedInRedis) this.leave(w.id);
    w.reject(err);
  }

  private toLocal(w: RemoteWaiter): void {
    this.forget(w);
    this.acquireLocal(w, w.weight).then(w.resolve, w.reject);
  }

  /**
   * Gives back whatever `id` holds in Redis. The ids given back in one turn of the event loop go
   * as one script (streams of one model tend to end together): a command fewer per request.
   */
  private leave(id: string): void {
    if (!this.slots.ready()) return;
    // The acquires asked for before this go first (see enqueue).
    this.joining.flush();
    this.leaving.push(id);
  }

  /** Sends the ids waiting to be given back; asked again while Redis is only slow, else their leases lapse. */
  private sendLeaves(ids: string[], attempt = 0): void {
    if (!this.slots.ready()) return;
    this.slots.scripts.puertaSlotLeave(...this.head, ...ids).then(
      () => this.slots.ok(),
      (err: unknown) => {
        if (!this.slots.failed(err) && attempt < 3) setTimeout(() => this.sendLeaves(ids, attempt + 1), RETRY_MS).unref();
      },
    );
  }

  private hold(id: string, weight: number, owner: string, localRelease: () => void, preempt: (() => void) | undefined): () => void {
    this.held.set(id, { weight, owner, preempt });
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.held.delete(id);
      localRelease();
      // Not renewed any more: if this message is lost the lease lapses within its TTL.
      this.leave(id);
    };
  }

  /** A grant message for one of this replica's waiters; false when the id is not one of this gate's. */
  granted(id: string): boolean {
    const w = this.waiters.get(id);
    if (!w) return false;
    if (w.sending) w.grantSeen = true;
    else this.grant(w);
    return true;
  }

  /** Redis stops the batch request holding lease `id` (at most once); false when the id is not one of this gate's. */
  stop(id: string): boolean {
    const h = this.held.get(id);
    if (h) {
      const preempt = h.preempt;
      h.preempt = undefined;
      preempt?.();
      return true;
    }
    const w = this.waiters.get(id);
    if (!w) return false;
    w.stopSeen = true;
    return true;
  }

  /** Redis is unreachable: this replica's waiters queue for its own share instead. */
  fallBack(): void {
    for (const w of [...this.waiters.values()]) this.toLocal(w);
  }

  /** Reaps lapsed leases (a dead replica's), grants, and catches up on grant messages lost. */
  async sweep(): Promise<void> {
    // Held ones are not in Redis yet: asking for them would read as a lost queue.
    const waiting = [...this.waiters.values()].filter((w) => !w.sending && !w.holding);
    if (waiting.length === 0) return;
    const ids = waiting.map((w) => w.id);
    const states = sweepAnswer(await this.slots.scripts.puertaSlotSweep(...this.head, ...ids), ids);
    this.slots.ok();
    waiting.forEach((w, i) => {
      if (w.done || w.sending) return;
      if (states[i] === 1) this.grant(w);
      else if (states[i] === 0 || states[i] === 3) w.heldBack = states[i] === 3;
      // Redis lost the queue (a restart without persistence): queue again, at the back of its tenant's turn.
      else if (states[i] === 2) this.enqueue(w);
    });
  }

  /** Keeps the leases of slots held here alive (and re-asserts them after a Redis restart). */
  async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const pairs: Array<string | number> = [];
    for (const [id, h] of this.held) pairs.push(id, h.weight, h.owner, h.preempt ? '1' : '');
    await this.slots.scripts.puertaSlotRenew(...this.head, ...pairs);
    this.slots.ok();
  }
}

/**
 * The acquire script's arguments (slot-lua.ts): after `head`, the waiters in their order as runs
 * of waiters alike (tenant, class, slots, owner, whether they may be stopped), each run's shared
 * fields once, then its count and ids.
 */
function acquireArgs(head: readonly string[], batch: readonly RemoteWaiter[]): string[] {
  const args = head.slice();
  let run: RemoteWaiter | undefined;
  let countAt = 0;
  for (const w of batch) {
    if (!run || !alike(run, w)) {
      if (run) args[countAt] = String(args.length - countAt - 1);
      args.push(w.tenant, w.cls === 'interactive' ? 'i' : 'b', w.weight === 1 ? '1' : String(w.weight), ownerOf(w), w.preempt ? '1' : '', '');
      countAt = args.length - 1;
      run = w;
    }
    args.push(w.id);
  }
  args[countAt] = String(args.length - countAt - 1);
  return args;
}

/** Whether two waiters send the acquire script the same fields but their ids. */
function alike(a: RemoteWaiter, b: RemoteWaiter): boolean {
  return a.tenant === b.tenant && a.cls === b.cls && a.weight === b.weight && a.charge === b.charge && a.cap === b.cap && !a.preempt === !b.preempt;
}

/**
 * What the slot scripts know of a capped request: `<charge> <cap> <tenant>` (slot-lua.ts), or ''
 * for a tenant that is not capped.
 */
function ownerOf(t: { tenant: string; charge: number; cap: number }): string {
  return t.charge > 0 ? `${t.charge} ${t.cap} ${t.tenant}` : '';
}
