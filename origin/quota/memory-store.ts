import { daysBetween, msToNextDay } from './day.ts';
import { WINDOW_MS, type AdmitInput, type Decision, type QuotaStore, type SettleInput, type UsageQuery, type UsageRow } from './types.ts';

interface TenantState {
  /** GCRA theoretical arrival times (ms). */
  rqTat: number;
  tkTat: number;
  /** Tokens charged per UTC day. */
  days: Map<string, number>;
  /** Lease id → expiry (ms). */
  leases: Map<string, number>;
}

interface UsageCell {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  errors: number;
}

/**
 * The limiter in process memory: the store of a single-replica origin without REDIS_URL, and the
 * local fail-open limiter while Redis is unreachable. Same GCRA as lua.ts, decision for decision.
 */
export class MemoryQuotaStore implements QuotaStore {
  readonly kind = 'memory' as const;
  private readonly tenants = new Map<string, TenantState>();
  /** day → tenant → model → counts */
  private readonly usageByDay = new Map<string, Map<string, Map<string, UsageCell>>>();

  private state(tenant: string): TenantState {
    let s = this.tenants.get(tenant);
    if (!s) {
      s = { rqTat: 0, tkTat: 0, days: new Map(), leases: new Map() };
      this.tenants.set(tenant, s);
    }
    return s;
  }

  async admit(i: AdmitInput): Promise<Decision> {
    return this.admitSync(i);
  }

  admitSync(i: AdmitInput): Decision {
    const { now, limits } = i;
    const s = this.state(i.tenant);
    const rpm = limits.requestsPerMinute;
    const tpm = limits.tokensPerMinute;
    let reason: Decision['reason'] = null;
    let retry = 0;

    const rqInt = rpm > 0 ? WINDOW_MS / rpm : 0;
    const rqTat = rpm > 0 ? Math.max(s.rqTat, now) : now;
    const rqNew = rqTat + rqInt;
    if (rpm > 0 && rqNew - now > WINDOW_MS) {
      reason = 'requests';
      retry = rqNew - now - WINDOW_MS;
    }

    const tkInt = tpm > 0 ? WINDOW_MS / tpm : 0;
    const tkTat = tpm > 0 ? Math.max(s.tkTat, now) : now;
    const tkNew = tkTat + Math.min(i.estimate, tpm) * tkInt;
    if (tpm > 0 && tkNew - now > WINDOW_MS) {
      reason ??= 'tokens';
      retry = Math.max(retry, tkNew - now - WINDOW_MS);
    }

    if (reason === null && limits.dailyTokens > 0 && (s.days.get(i.day) ?? 0) >= limits.dailyTokens) {
      reason = 'daily_tokens';
      retry = msToNextDay(now);
    }

    if (reason === null && i.leaseId !== null && limits.concurrentStreams > 0) {
      for (const [id, exp] of s.leases) if (exp <= now) s.leases.delete(id);
      if (s.leases.size >= limits.concurrentStreams) {
        reason = 'concurrency';
        retry = 1000;
      }
    }

    const allowed = reason === null;
    const rq = allowed ? rqNew : rqTat;
    const tk = allowed ? tkNew : tkTat;
    if (allowed) {
      if (rpm > 0) s.rqTat = rqNew;
      if (tpm > 0) s.tkTat = tkNew;
      if (i.estimate > 0) s.days.set(i.day, (s.days.get(i.day) ?? 0) + i.estimate);
      if (i.leaseId !== null) s.leases.set(i.leaseId, now + i.leaseTtlMs);
    }
    return {
      allowed,
      reason,
      requestsRemaining: rpm > 0 ? Math.floor((WINDOW_MS - (rq - now)) / rqInt) : -1,
      requestsResetMs: Math.ceil(rq - now),
      tokensRemaining: tpm > 0 ? Math.floor((WINDOW_MS - (tk - now)) / tkInt) : -1,
      tokensResetMs: Math.ceil(tk - now),
      retryAfterMs: Math.ceil(retry),
      degraded: false,
    };
  }

  async settle(i: SettleInput): Promise<void> {
    this.settleSync(i);
  }

  settleSync(i: SettleInput): void {
    const s = this.state(i.tenant);
    const tpm = i.limits.tokensPerMinute;
    if (tpm > 0 && i.tokenDelta !== 0) {
      const int = WINDOW_MS / tpm;
      s.tkTat = i.tokenDelta > 0 ? Math.max(s.tkTat, i.now) + i.tokenDelta * int : s.tkTat + i.tokenDelta * int;
    }
    if (i.dayDelta !== 0) s.days.set(i.day, Math.max(0, (s.days.get(i.day) ?? 0) + i.dayDelta));
    if (i.leaseId !== null) s.leases.delete(i.leaseId);
    this.addUsage(i.day, i.tenant, i.model, i.promptTokens, i.completionTokens, i.error);
  }

  /** Usage recorded while Redis was away, or for the memory store itself. */
  addUsage(day: string, tenant: string, model: string, prompt: number, completion: number, error: boolean): void {
    let d = this.usageByDay.get(day);
    if (!d) this.usageByDay.set(day, (d = new Map()));
    let t = d.get(tenant);
    if (!t) d.set(tenant, (t = new Map()));
    let cell = t.get(model);
    if (!cell) t.set(model, (cell = { requests: 0, promptTokens: 0, completionTokens: 0, errors: 0 }));
    cell.requests++;
    cell.promptTokens += prompt;
    cell.completionTokens += completion;
    if (error) cell.errors++;
  }

  async renew(leases: ReadonlyArray<{ tenant: string; leaseId: string }>, expiresAt: number): Promise<void> {
    for (const l of leases) {
      const s = this.tenants.get(l.tenant);
      if (s?.leases.has(l.leaseId)) s.leases.set(l.leaseId, expiresAt);
    }
  }

  async usage(q: UsageQuery): Promise<UsageRow[]> {
    const rows: UsageRow[] = [];
    for (const day of daysBetween(q.from, q.to)) {
      const d = this.usageByDay.get(day);
      if (!d) continue;
      for (const [tenant, models] of d) {
        if (q.tenant !== undefined && tenant !== q.tenant) continue;
        for (const [model, c] of models) {
          if (q.model !== undefined && model !== q.model) continue;
          rows.push({ day, tenant, model, ...c });
        }
      }
    }
    return rows;
  }

  /** Forgets what no limit or query needs any more (run now and then, keeps memory flat). */
  sweep(now: number, today: string, yesterday: string, usageDays: number): void {
    for (const [id, s] of this.tenants) {
      for (const [l, exp] of s.leases) if (exp <= now) s.leases.delete(l);
      for (const d of s.days.keys()) if (d !== today && d !== yesterday) s.days.delete(d);
      if (s.rqTat <= now && s.tkTat <= now && s.leases.size === 0 && s.days.size === 0) this.tenants.delete(id);
    }
    const oldest = new Date(now - usageDays * 86_400_000).toISOString().slice(0, 10);
    for (const d of this.usageByDay.keys()) if (d < oldest) this.usageByDay.delete(d);
  }

  async close(): Promise<void> {}
}
