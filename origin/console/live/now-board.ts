import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisClient } from '../../redis/client.ts';
import type { LocalStreams } from './local-streams.ts';
import type { NowView, ReplicaNow, SlotState } from './types.ts';

/** A replica that has not published for this long is gone (it publishes every HEARTBEAT_MS). */
const STALE_MS = 15_000;
const HEARTBEAT_MS = 5_000;
/** Changes within this long are published together (a burst of starts is one write). */
const COALESCE_MS = 100;

export interface NowBoardOptions {
  local: LocalStreams;
  slots: () => SlotState[];
  log: Logger;
  /** The Redis every replica shares; without it "Now" shows this replica alone. */
  redis?: { client: RedisClient; keyPrefix: string } | undefined;
}

/**
 * "Now" across every replica: each replica writes its own streams and figures into one Redis hash
 * (field = replica) and publishes a nudge; every replica's console listens for the nudge and reads
 * the hash. One key, so it works on Redis Cluster too. Without Redis, the board is local.
 */
export class NowBoard {
  private readonly listeners = new Set<(v: NowView) => void>();
  private pending: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private subscriber: RedisClient | undefined;
  private subscribed = false;
  private closed = false;
  private readonly hashKey: string;
  private readonly channel: string;

  constructor(private readonly o: NowBoardOptions) {
    this.hashKey = `${o.redis?.keyPrefix ?? ''}console:now`;
    this.channel = `${o.redis?.keyPrefix ?? ''}console:now:changed`;
    o.local.onChange(() => this.soon());
    this.heartbeat = setInterval(() => this.soon(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private mine(now = Date.now()): ReplicaNow {
    return { replica: this.o.local.replica, at: now, streams: this.o.local.streams(now), stats: this.o.local.stats(now), slots: this.o.slots() };
  }

  /** Publishes (and tells local listeners) shortly, once per burst of changes. */
  private soon(): void {
    if (this.pending || this.closed) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.publish();
    }, COALESCE_MS);
    this.pending.unref();
  }

  private async publish(): Promise<void> {
    const r = this.o.redis;
    if (r) {
      try {
        await r.client.hset(this.hashKey, this.o.local.replica, JSON.stringify(this.mine()));
        await r.client.publish(this.channel, this.o.local.replica);
      } catch (err) {
        this.o.log.debug({ err: (err as Error).message }, 'console: could not publish this replica\'s streams');
      }
      // Subscribed consoles hear the nudge (this one included) and read the hash.
      if (this.subscribed) return;
    }
    await this.notify();
  }

  private async notify(): Promise<void> {
    if (this.listeners.size === 0) return;
    const v = await this.view();
    for (const fn of this.listeners) fn(v);
  }

  /** Every live replica's streams, or this replica's alone without Redis (or while it is away). */
  async view(now = Date.now()): Promise<NowView> {
    const r = this.o.redis;
    if (r) {
      try {
        const all = await r.client.hgetall(this.hashKey);
        const replicas: ReplicaNow[] = [];
        const stale: string[] = [];
        for (const [field, raw] of Object.entries(all)) {
          const v = JSON.parse(raw) as ReplicaNow;
          if (now - v.at > STALE_MS) stale.push(field);
          else replicas.push(v);
        }
        if (stale.length > 0) await r.client.hdel(this.hashKey, ...stale);
        if (!replicas.some((x) => x.replica === this.o.local.replica)) replicas.push(this.mine(now));
        replicas.sort((a, b) => a.replica.localeCompare(b.replica));
        return { at: now, scope: 'redis', replicas };
      } catch (err) {
        this.o.log.debug({ err: (err as Error).message }, 'console: could not read the replicas\' streams; showing this replica');
      }
    }
    return { at: now, scope: 'local', replicas: [this.mine(now)] };
  }

  /** Calls `fn` with a fresh view on every change anywhere; returns the unsubscribe. */
  watch(fn: (v: NowView) => void): () => void {
    this.listeners.add(fn);
    this.ensureSubscribed();
    return () => this.listeners.delete(fn);
  }

  private ensureSubscribed(): void {
    const r = this.o.redis;
    if (!r || this.subscriber || this.closed) return;
    const c = r.client;
    // Its own connection that waits for Redis rather than failing fast (the shared client does not queue).
    const sub: RedisClient = (c as Cluster).isCluster
      ? (c as Cluster).duplicate(undefined, { enableOfflineQueue: true, redisOptions: { ...(c as Cluster).options.redisOptions, commandTimeout: undefined } })
      : (c as Redis).duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
    this.subscriber = sub;
    sub.on('error', (err: Error) => this.o.log.debug({ err: err.message }, 'console: now-board subscriber error'));
    sub.on('message', () => void this.notify());
    sub.on('close', () => (this.subscribed = false));
    const subscribe = () => {
      if (this.closed) return;
      sub.subscribe(this.channel).then(
        () => (this.subscribed = true),
        (err: Error) => this.o.log.warn({ err: err.message }, 'console: cannot subscribe to other replicas\' changes'),
      );
    };
    sub.on('ready', subscribe);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.pending) clearTimeout(this.pending);
    this.listeners.clear();
    const r = this.o.redis;
    if (r) await r.client.hdel(this.hashKey, this.o.local.replica).catch(() => {});
    this.subscriber?.disconnect();
  }
}
