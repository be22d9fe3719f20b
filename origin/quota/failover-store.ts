import type { Logger } from 'pino';
import { PuertaError } from '../../shared/errors.ts';
import type { QuotaConfig } from './config.ts';
import type { MemoryQuotaStore } from './memory-store.ts';
import type { RedisQuotaStore } from './redis-store.ts';
import { readySoon } from '../redis/client.ts';
import type { AdmitInput, Decision, QuotaStore, SettleInput, UsageQuery, UsageRow } from './types.ts';

/** What an outage cost, for /admin and the metrics exporter. */
export interface FailoverStats {
  redisUp: boolean;
  redisErrors: number;
  outages: number;
  /** Decisions taken without Redis (local limiter, allow or deny, per policy). */
  degradedDecisions: number;
  /** Settlements kept locally and replayed to Redis once it answered again. */
  usageBuffered: number;
  usageReplayed: number;
  /** Settlements lost because the buffer was full. */
  usageDropped: number;
  lastError: string | null;
}

const BUFFER_MAX = 50_000;

/**
 * Redis first; when it fails, the configured policy. `local` fails open onto a per-replica
 * limiter (each replica enforces the tenant's full limit on its own traffic, so the global limit
 * is exceeded at most by the replica count while Redis is away). Usage seen during the outage is
 * buffered and replayed when Redis is ready again, so daily budgets and usage reports stay whole.
 */
export class FailoverQuotaStore implements QuotaStore {
  readonly kind = 'redis' as const;
  private up = true;
  private buffer: SettleInput[] = [];
  private replaying = false;
  readonly stats: FailoverStats = { redisUp: true, redisErrors: 0, outages: 0, degradedDecisions: 0, usageBuffered: 0, usageReplayed: 0, usageDropped: 0, lastError: null };

  constructor(
    readonly redis: RedisQuotaStore,
    private readonly local: MemoryQuotaStore,
    private readonly policy: QuotaConfig['onRedisDown'],
    private readonly log: Logger,
    private readonly connectWaitMs = 250,
  ) {
    redis.client.on('ready', () => this.recovered());
  }

  private ready(): boolean {
    return this.redis.client.status === 'ready';
  }

  /**
   * Whether to try Redis now. Only while the first connection is still being made does a
   * decision wait for it (at most one command timeout); during a known outage it never waits.
   */
  private usable(): boolean | Promise<boolean> {
    if (this.ready()) return true;
    if (!this.up) return false;
    const soon = readySoon(this.redis.client, this.connectWaitMs);
    // Neither ready nor connecting (a closed client): try anyway, the command fails at once.
    return soon === false ? true : soon;
  }

  private failed(err: unknown): void {
    this.stats.redisErrors++;
    this.stats.lastError = (err as Error)?.message ?? String(err);
    if (!this.up) return;
    this.up = false;
    this.stats.redisUp = false;
    this.stats.outages++;
    this.log.error({ err: this.stats.lastError, policy: this.policy }, `redis unreachable: quota decisions fall back to policy '${this.policy}' until it answers again`);
  }

  private recovered(): void {
    if (this.up) return;
    this.up = true;
    this.stats.redisUp = true;
    this.log.warn({ degradedDecisions: this.stats.degradedDecisions, buffered: this.buffer.length }, 'redis is back: quota decisions are global again');
    void this.replay();
  }

  /** Sends usage kept during the outage; only its daily-budget part still matters to limits. */
  private async replay(): Promise<void> {
    if (this.replaying) return;
    this.replaying = true;
    try {
      while (this.buffer.length > 0 && this.up) {
        const batch = this.buffer.splice(0, 500);
        try {
          await Promise.all(batch.map((s) => this.redis.settle(s)));
          this.stats.usageReplayed += batch.length;
        } catch (err) {
          this.buffer.unshift(...batch);
          this.failed(err);
        }
      }
    } finally {
      this.replaying = false;
    }
  }

  private fallback(i: AdmitInput): Decision {
    this.stats.degradedDecisions++;
    if (this.policy === 'deny') {
      throw new PuertaError({
        status: 503,
        type: 'overloaded_error',
        code: 'quota_store_unavailable',
        message: 'the quota store (Redis) is unreachable and quota.onRedisDown is "deny"; retry shortly',
        retryAfter: 1,
        retryable: true,
      });
    }
    if (this.policy === 'allow') {
      return { allowed: true, reason: null, requestsRemaining: -1, requestsResetMs: 0, tokensRemaining: -1, tokensResetMs: 0, retryAfterMs: 0, degraded: true };
    }
    const d = this.local.admitSync(i);
    d.degraded = true;
    return d;
  }

  async admit(i: AdmitInput): Promise<Decision> {
    // While disconnected a command would only fail at once: skip it and its error object.
    const usable = this.usable();
    if (usable === false || (usable !== true && !(await usable))) {
      if (this.up) this.failed(new Error(`redis not connected (${this.redis.client.status})`));
      return this.fallback(i);
    }
    try {
      const d = await this.redis.admit(i);
      if (!this.up) this.recovered();
      return d;
    } catch (err) {
      this.failed(err);
      return this.fallback(i);
    }
  }

  /**
   * `admittedLocally`: the estimate went to the local limiter, not Redis, so a replay must charge
   * the whole day's amount to Redis (and nothing to the long-gone minute window).
   */
  async settleFor(i: SettleInput, admittedLocally: boolean, estimate: number): Promise<void> {
    if (admittedLocally) this.local.settleSync(i);
    const remote: SettleInput = admittedLocally ? { ...i, tokenDelta: 0, dayDelta: i.dayDelta + estimate, leaseId: null } : i;
    if (this.up || this.ready()) {
      try {
        await this.redis.settle(remote);
        if (!this.up) this.recovered();
        return;
      } catch (err) {
        this.failed(err);
      }
    }
    this.keep({ ...remote, tokenDelta: 0 });
  }

  private keep(s: SettleInput): void {
    if (this.buffer.length >= BUFFER_MAX) {
      this.stats.usageDropped++;
      return;
    }
    this.buffer.push(s);
    this.stats.usageBuffered++;
  }

  async settle(i: SettleInput): Promise<void> {
    return this.settleFor(i, false, 0);
  }

  async renew(leases: ReadonlyArray<{ tenant: string; leaseId: string }>, expiresAt: number): Promise<void> {
    await this.local.renew(leases, expiresAt);
    if (!this.up && !this.ready()) return;
    try {
      await this.redis.renew(leases, expiresAt);
    } catch (err) {
      this.failed(err);
    }
  }

  /** Usage from Redis; fails loudly (the admin asked for the global numbers, not a partial view). */
  async usage(q: UsageQuery): Promise<UsageRow[]> {
    return this.redis.usage(q);
  }

  async close(): Promise<void> {
    await this.redis.close();
  }
}
