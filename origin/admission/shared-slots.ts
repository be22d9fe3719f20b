import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Cluster, Redis } from 'ioredis';
import { readySoon, type RedisClient } from '../redis/client.ts';
import { SLOT_ACQUIRE_LUA, SLOT_LEAVE_LUA, SLOT_RENEW_LUA, SLOT_SWEEP_LUA } from './slot-lua.ts';

type Arg = string | number;

/** A message on a replica's slot channel that stops a lease rather than grant one (slot-lua.ts). */
const STOP = 'stop ';

interface SlotScripts {
  puertaSlotAcquire(...args: Arg[]): Promise<unknown>;
  puertaSlotLeave(...args: Arg[]): Promise<number>;
  puertaSlotSweep(...args: Arg[]): Promise<unknown>;
  puertaSlotRenew(...args: Arg[]): Promise<number>;
}

/**
 * `shared`: slots are leased in Redis. `fallback`: Redis is unreachable, each replica admits
 * slots / replicas on its own. `rejoining`: Redis answers again; this replica has re-asserted
 * its slots and waits for the others to do the same before it trusts the shared count.
 */
/** What the slot leases need of each gate they serve (admission/shared-gate.ts). */
export interface LeasedGate {
  /** Redis went away: the gate decides with the replica's own share until it is back. */
  fallBack(): void;
  /** A grant for this waiter id arrived; true when it was this gate's. */
  granted(id: string): boolean;
  /** Redis asks this replica to stop the batch request holding lease `id` for interactive work; true when it was this gate's. */
  stop(id: string): boolean;
  renew(): Promise<void>;
  sweep(): Promise<void>;
}

export type SharingState = 'shared' | 'fallback' | 'rejoining';

export interface SharedSlotsOptions {
  keyPrefix: string;
  leaseTtlMs: number;
  /** Origin replicas in front of the same engines (for the fallback share). */
  replicas: number;
  /** Longest a decision waits for the first connection to Redis. */
  connectWaitMs: number;
  /** How long slot scripts may keep failing on a live connection before the replica falls back (a hung Redis keeps its socket). */
  outageMs: number;
}

/**
 * A replica's side of the slot queues shared through Redis: the scripts, the grant channel,
 * the stop messages for batch leases, lease renewal, the poll that reaps lapsed leases, and the fallback when Redis is away.
 * One per origin; every shared gate (admission/shared-gate.ts) of the replica goes through it.
 */
export class SharedSlots {
  readonly replica = randomBytes(5).toString('hex');
  private seq = 0;
  state: SharingState = 'shared';
  private readonly gates = new Set<LeasedGate>();
  private readonly subscriber: Redis | Cluster;
  private readonly timers: NodeJS.Timeout[] = [];
  private rejoinTimer: NodeJS.Timeout | undefined;
  private failingSince: number | undefined;
  private closing = false;
  /** Times this replica fell back to its own share (for /admin and tests). */
  fallbacks = 0;
  readonly channelPrefix: string;
  /** Rejoin after an outage only once every replica can have reconnected (ioredis backoff caps at 2 s) and re-asserted. */
  private readonly rejoinMs: number;

  constructor(
    readonly client: RedisClient,
    readonly opts: SharedSlotsOptions,
    private readonly log: Logger,
  ) {
    client.defineCommand('puertaSlotAcquire', { numberOfKeys: 1, lua: SLOT_ACQUIRE_LUA });
    client.defineCommand('puertaSlotLeave', { numberOfKeys: 1, lua: SLOT_LEAVE_LUA });
    client.defineCommand('puertaSlotSweep', { numberOfKeys: 1, lua: SLOT_SWEEP_LUA });
    client.defineCommand('puertaSlotRenew', { numberOfKeys: 1, lua: SLOT_RENEW_LUA });
    this.channelPrefix = `${opts.keyPrefix}slots:grant:`;
    this.rejoinMs = Math.max(3_000, Math.floor(opts.leaseTtlMs / 3));
    // The subscriber waits for its connection, not for an answer (no command timeout). It
    // subscribes on every 'ready' itself: ioredis's own re-subscription leaves its promise
    // unhandled when the connection drops again, which would end the process.
    if ((client as Cluster).isCluster) {
      const cluster = client as Cluster;
      this.subscriber = cluster.duplicate(undefined, { enableOfflineQueue: true, redisOptions: { ...cluster.options.redisOptions, commandTimeout: undefined, autoResubscribe: false } });
    } else {
      this.subscriber = (client as Redis).duplicate({ enableOfflineQueue: true, commandTimeout: undefined, autoResubscribe: false });
    }
    this.subscriber.on('error', (err: Error) => log.debug({ err: err.message }, 'redis slot-grant subscriber error'));
    this.subscriber.on('message', (_channel: string, msg: string) => (msg.startsWith(STOP) ? this.stop(msg.slice(STOP.length)) : this.granted(msg)));
    const subscribe = () => {
      if (this.closing) return;
      this.subscriber.subscribe(this.channelPrefix + this.replica).catch((err: Error) => log.warn({ err: err.message }, 'slot-grant subscription failed; grants arrive by polling until the next reconnect'));
    };
    this.subscriber.on('ready', subscribe);
    subscribe();

    client.on('ready', () => this.rejoin());
    client.on('close', () => {
      if (!this.closing) this.failed(new Error('redis connection closed'));
    });
    const renew = setInterval(() => void this.renewAll(), Math.floor(opts.leaseTtlMs / 3));
    const poll = setInterval(() => void this.tick(), Math.min(500, Math.floor(opts.leaseTtlMs / 4)));
    renew.unref();
    poll.unref();
    this.timers.push(renew, poll);
  }

  get scripts(): SlotScripts {
    return this.client as unknown as SlotScripts;
  }

  register(gate: LeasedGate): void {
    this.gates.add(gate);
  }

  newId(): string {
    return `${this.replica}:${++this.seq}`;
  }

  /** Whether slots are leased in Redis now (else the replica's own share applies). */
  shared(): boolean {
    return this.state === 'shared' && this.client.status === 'ready';
  }

  /** Whether Redis answers (leases held may be given back there, whatever the state). */
  ready(): boolean {
    return this.client.status === 'ready';
  }

  /** True when Redis can take the decision; waits for the first connection only. */
  usable(): boolean | Promise<boolean> {
    if (this.shared()) return true;
    if (this.state !== 'shared') return false;
    const soon = readySoon(this.client, this.opts.connectWaitMs);
    const decide = (ok: boolean) => {
      if (!ok) this.failed(new Error(`redis not connected (${this.client.status})`));
      return this.shared();
    };
    return soon instanceof Promise ? soon.then(decide) : decide(soon);
  }

  /** A script answered: Redis is working (a slow answer before it was not an outage). */
  ok(): void {
    this.failingSince = undefined;
  }

  /**
   * A slot script failed. A closed connection falls back at once; on a live connection only
   * answers failing for `outageMs` do (one slow answer is not an outage), since a fallback lets
   * each replica admit its own share on top of what the others hold. True when falling back now.
   */
  failed(err: unknown): boolean {
    if (this.state === 'fallback') return true;
    const now = Date.now();
    if (this.client.status === 'ready' && this.state === 'shared') {
      this.failingSince ??= now;
      if (now - this.failingSince < this.opts.outageMs) return false;
    }
    this.failingSince = undefined;
    if (this.rejoinTimer) {
      clearTimeout(this.rejoinTimer);
      this.rejoinTimer = undefined;
    }
    this.state = 'fallback';
    this.fallbacks++;
    this.log.error(
      { err: (err as Error)?.message ?? String(err), replicas: this.opts.replicas },
      `redis unreachable: engine slots are decided per replica (each admits slots / ${this.opts.replicas}, admission.replicas) until it answers again`,
    );
    for (const g of this.gates) g.fallBack();
    return true;
  }

  /** Redis answers again: re-assert every slot held here, then rejoin the shared queue. */
  private rejoin(): void {
    if (this.state !== 'fallback' || this.closing) return;
    this.failingSince = undefined;
    this.state = 'rejoining';
    void this.renewAll();
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = undefined;
      if (this.state !== 'rejoining' || !this.ready()) return;
      this.state = 'shared';
      this.log.warn('redis is back: engine slots are shared by every replica again');
    }, this.rejoinMs);
    this.rejoinTimer.unref();
  }

  private granted(id: string): void {
    for (const g of this.gates) if (g.granted(id)) return;
  }

  private stop(id: string): void {
    for (const g of this.gates) if (g.stop(id)) return;
  }

  private async renewAll(): Promise<void> {
    if (!this.ready()) return;
    await Promise.all([...this.gates].map((g) => g.renew().catch((err: unknown) => this.failed(err))));
  }

  private async tick(): Promise<void> {
    if (this.state === 'shared') {
      if (!this.ready()) return;
      await Promise.all([...this.gates].map((g) => g.sweep().catch((err: unknown) => this.failed(err))));
    } else if (this.state === 'fallback' && this.ready() && !this.closing) {
      // A Redis that hung and came back keeps its connection: no 'ready' event, so ask it.
      await this.client.ping().then(() => this.rejoin(), () => {});
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    if (this.rejoinTimer) clearTimeout(this.rejoinTimer);
    this.subscriber.disconnect();
  }
}
