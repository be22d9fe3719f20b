import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { recordedModel, type RequestObserver, type RequestRecord } from '../core/record.ts';
import type { QuotaConfig, TenantLimits } from './config.ts';
import { dayOf } from './day.ts';
import { FailoverQuotaStore, type FailoverStats } from './failover-store.ts';
import { MemoryQuotaStore } from './memory-store.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { RedisQuotaStore } from './redis-store.ts';
import { rateLimited } from './rejection.ts';
import type { Decision, QuotaStore, UsageQuery, UsageRow } from './types.ts';

/** What was charged up front for one request, settled when its record ends. */
interface Charge {
  tenant: string;
  limits: TenantLimits;
  estimate: number;
  promptEstimate: number;
  leaseId: string | null;
  day: string;
  degraded: boolean;
}

export interface AdmitRequest {
  tenant: string;
  promptEstimate: number;
  completionEstimate: number;
  stream: boolean;
}

export interface QuotaSnapshot {
  store: 'redis' | 'memory';
  activeLeases: number;
  decisions: number;
  rejected: Record<string, number>;
  failover: FailoverStats | null;
}

/**
 * Tenant quotas and usage: admits a request against its tenant's limits (one store round trip),
 * then settles the real token counts when the request's record ends, whatever the outcome, so a
 * client that abandons a stream is charged too. Leases of open streams are renewed in one batch
 * per interval; a replica that dies stops renewing and its leases lapse after leaseTtlMs.
 */
export class QuotaService {
  readonly store: QuotaStore;
  readonly failover: FailoverQuotaStore | null;
  private readonly limitsCache = new Map<string, TenantLimits>();
  private readonly charges = new WeakMap<RequestRecord, Charge>();
  private readonly leases = new Map<string, string>();
  private readonly replica = randomBytes(4).toString('hex');
  private seq = 0;
  private decisions = 0;
  private readonly rejected: Record<string, number> = { requests: 0, tokens: 0, daily_tokens: 0, concurrency: 0 };
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly memory: MemoryQuotaStore;
  readonly observer: RequestObserver = { onEnd: (rec) => this.settle(rec) };

  constructor(
    private readonly cfg: QuotaConfig,
    /** The replica's Redis (origin/redis/connection.ts), when quotas live there; its owner closes it. */
    redis: RedisConnection | undefined,
    private readonly log: Logger,
  ) {
    this.memory = new MemoryQuotaStore();
    if (redis) {
      const usageTtl = cfg.usageRetentionDays * 86_400;
      this.failover = new FailoverQuotaStore(new RedisQuotaStore(redis.client, redis.keyPrefix, usageTtl), this.memory, cfg.onRedisDown, log, redis.commandTimeoutMs);
      this.store = this.failover;
      log.info({ mode: redis.mode, onRedisDown: cfg.onRedisDown }, 'quotas and usage in redis (shared by every replica)');
    } else {
      this.failover = null;
      this.store = this.memory;
      log.info('quotas and usage in process memory: single replica only (set REDIS_URL to share them)');
    }
    const renew = setInterval(() => void this.renewLeases(), Math.floor(cfg.leaseTtlMs / 3));
    const sweep = setInterval(() => {
      const now = Date.now();
      this.memory.sweep(now, dayOf(now), dayOf(now - 86_400_000), cfg.usageRetentionDays);
    }, 60_000);
    renew.unref();
    sweep.unref();
    this.timers.push(renew, sweep);
  }

  get estimateCfg(): QuotaConfig['estimate'] {
    return this.cfg.estimate;
  }

  limitsFor(tenant: string): TenantLimits {
    let l = this.limitsCache.get(tenant);
    if (!l) {
      const o = this.cfg.tenants[tenant];
      const d = this.cfg.defaults;
      l = {
        requestsPerMinute: o?.requestsPerMinute ?? d.requestsPerMinute,
        tokensPerMinute: o?.tokensPerMinute ?? d.tokensPerMinute,
        concurrentStreams: o?.concurrentStreams ?? d.concurrentStreams,
        dailyTokens: o?.dailyTokens ?? d.dailyTokens,
      };
      this.limitsCache.set(tenant, l);
    }
    return l;
  }

  /** Whether any limit applies to this tenant at all (if not, only usage is recorded). */
  limited(l: TenantLimits): boolean {
    return l.requestsPerMinute > 0 || l.tokensPerMinute > 0 || l.concurrentStreams > 0 || l.dailyTokens > 0;
  }

  /** Admits or throws the 429. The decision is returned for the success headers. */
  async admit(rec: RequestRecord, r: AdmitRequest): Promise<{ decision: Decision; limits: TenantLimits } | null> {
    const limits = this.limitsFor(r.tenant);
    const now = Date.now();
    const day = dayOf(now);
    const estimate = Math.max(1, Math.ceil(r.promptEstimate + r.completionEstimate));
    if (!this.limited(limits)) {
      this.charges.set(rec, { tenant: r.tenant, limits, estimate: 0, promptEstimate: r.promptEstimate, leaseId: null, day, degraded: false });
      return null;
    }
    const leaseId = r.stream && limits.concurrentStreams > 0 ? `${this.replica}:${++this.seq}` : null;
    const decision = await this.store.admit({ tenant: r.tenant, limits, now, estimate, leaseId, leaseTtlMs: this.cfg.leaseTtlMs, day });
    this.decisions++;
    if (!decision.allowed) {
      this.rejected[decision.reason ?? 'requests']!++;
      throw rateLimited(decision, limits, r.tenant);
    }
    if (leaseId !== null) this.leases.set(leaseId, r.tenant);
    this.charges.set(rec, { tenant: r.tenant, limits, estimate, promptEstimate: r.promptEstimate, leaseId, day, degraded: decision.degraded });
    return { decision, limits };
  }

  /** Settles one ended request: real tokens against the estimate, lease back, usage counted. */
  settle(rec: RequestRecord): void {
    const charge = this.charges.get(rec);
    // A charged request the route refused before naming its model (a 400) still settles: its
    // lease must come back, or renewLeases keeps it alive for good.
    const model = recordedModel(rec) ?? (charge ? 'unknown' : undefined);
    if (model === undefined) return;
    this.charges.delete(rec);
    const tenant = charge?.tenant ?? rec.tenant.id;
    const limits = charge?.limits ?? this.limitsFor(tenant);
    const counted = rec.promptTokens !== undefined || rec.completionTokens !== undefined;
    // No engine counts (the client left mid-stream, or the engine failed): the estimate stands,
    // so leaving early never costs less than finishing.
    const prompt = counted ? (rec.promptTokens ?? 0) : Math.round(charge?.promptEstimate ?? 0);
    const completion = rec.completionTokens ?? 0;
    const estimate = charge?.estimate ?? 0;
    const delta = counted && estimate > 0 ? prompt + completion - estimate : 0;
    const leaseId = charge?.leaseId ?? null;
    if (leaseId !== null) this.leases.delete(leaseId);
    // A client that left or stopped reading was served until then: charged like a finished request.
    const error = rec.outcome !== 'ok' && rec.outcome !== 'client_cancelled' && rec.outcome !== 'client_stalled';
    const input = {
      tenant,
      limits,
      now: Date.now(),
      tokenDelta: delta,
      dayDelta: delta,
      leaseId,
      day: charge?.day ?? dayOf(Date.now()),
      model,
      promptTokens: prompt,
      completionTokens: completion,
      error,
    };
    const done = this.failover ? this.failover.settleFor(input, charge?.degraded ?? false, estimate) : this.store.settle(input);
    done.catch((err: unknown) => this.log.warn({ err: (err as Error).message, tenant }, 'usage settlement failed'));
  }

  private async renewLeases(): Promise<void> {
    if (this.leases.size === 0) return;
    const list: Array<{ tenant: string; leaseId: string }> = [];
    for (const [leaseId, tenant] of this.leases) list.push({ tenant, leaseId });
    try {
      await this.store.renew(list, Date.now() + this.cfg.leaseTtlMs);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'lease renewal failed');
    }
  }

  usage(q: UsageQuery): Promise<UsageRow[]> {
    return this.store.usage(q);
  }

  snapshot(): QuotaSnapshot {
    return {
      store: this.store.kind,
      activeLeases: this.leases.size,
      decisions: this.decisions,
      rejected: { ...this.rejected },
      failover: this.failover ? { ...this.failover.stats } : null,
    };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.store.close();
  }
}
