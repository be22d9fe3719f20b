import { daysBetween, msToNextDay } from './day.ts';
import { ADMIT_LUA, SETTLE_LUA } from './lua.ts';
import type { RedisClient } from '../redis/client.ts';
import { WINDOW_MS, type AdmitInput, type Decision, type LimitKind, type QuotaStore, type SettleInput, type UsageQuery, type UsageRow } from './types.ts';

type Arg = string | number;
interface ScriptedClient {
  puertaAdmit(...args: Arg[]): Promise<[number, string, number, number, number, number, number]>;
  puertaSettle(...args: Arg[]): Promise<number>;
}

/** Key names of one tenant; the `{tenant}` hash tag keeps them in one Cluster slot. */
interface TenantKeys {
  rq: string;
  tk: string;
  ls: string;
  /** Tenant tag with prefix, for the per-day keys. */
  base: string;
}

/**
 * Limits and usage shared by every replica. One EVALSHA per decision, and one for the settlements of
 * a tenant in one turn of the event loop (ioredis falls back to EVAL after a Redis restart has emptied the script cache).
 */
export class RedisQuotaStore implements QuotaStore {
  readonly kind = 'redis' as const;
  private readonly keyCache = new Map<string, TenantKeys>();
  /**
   * Tenants this replica has put in a day's usage index, and the day. The index is written once
   * per tenant and day (not on every settlement: two commands fewer per request); forgotten on
   * every (re)connection, since a Redis that restarted may have lost it.
   */
  private indexed: { day: string; tenants: Set<string> } = { day: '', tenants: new Set() };
  /** Settlements to send at the end of this turn of the event loop, by day and tenant (see settle). */
  private readonly settling = new Map<string, PendingSettlements>();
  /** ARGV 1 and 2 of the settle script. */
  private readonly usageTtl: readonly string[];

  constructor(
    readonly client: RedisClient,
    private readonly prefix: string,
    private readonly usageTtlSeconds: number,
  ) {
    this.usageTtl = [String(usageTtlSeconds), String(WINDOW_MS)];
    client.defineCommand('puertaAdmit', { numberOfKeys: 4, lua: ADMIT_LUA });
    client.defineCommand('puertaSettle', { numberOfKeys: 4, lua: SETTLE_LUA });
    client.on('ready', () => {
      this.indexed = { day: '', tenants: new Set() };
    });
  }

  private get scripted(): ScriptedClient {
    return this.client as unknown as ScriptedClient;
  }

  private keys(tenant: string): TenantKeys {
    let k = this.keyCache.get(tenant);
    if (!k) {
      const base = `${this.prefix}{${tenant}}`;
      k = { rq: `${base}:rq`, tk: `${base}:tk`, ls: `${base}:ls`, base };
      if (this.keyCache.size > 100_000) this.keyCache.clear();
      this.keyCache.set(tenant, k);
    }
    return k;
  }

  private dayKey(k: TenantKeys, day: string): string {
    return `${k.base}:d:${day}`;
  }

  private usageKey(base: string, day: string): string {
    return `${base}:u:${day}`;
  }

  private indexKey(day: string): string {
    return `${this.prefix}usage-tenants:{${day}}`;
  }

  async admit(i: AdmitInput): Promise<Decision> {
    const k = this.keys(i.tenant);
    const l = i.limits;
    const r = await this.scripted.puertaAdmit(
      k.rq, k.tk, this.dayKey(k, i.day), k.ls,
      i.now, l.requestsPerMinute, l.tokensPerMinute, l.dailyTokens, l.concurrentStreams,
      i.estimate, i.leaseId ?? '', i.now + i.leaseTtlMs, msToNextDay(i.now), WINDOW_MS,
    );
    return {
      allowed: r[0] === 1,
      reason: r[1] === '' ? null : (r[1] as LimitKind),
      requestsRemaining: r[2],
      requestsResetMs: r[3],
      tokensRemaining: r[4],
      tokensResetMs: r[5],
      retryAfterMs: r[6],
      degraded: false,
    };
  }

  /**
   * Settlements of one tenant and day asked for in one turn of the event loop go as one script
   * (streams of a tenant tend to end together): one command, not one per request. Each caller
   * waits on its group's script, so a failure reaches every settlement in it.
   */
  settle(i: SettleInput): Promise<void> {
    const key = `${i.day} ${i.tenant}`;
    let group = this.settling.get(key);
    if (!group) {
      if (this.settling.size === 0) setImmediate(() => this.sendSettlements());
      group = new PendingSettlements(i.tenant, i.day, this.usageTtl);
      this.settling.set(key, group);
    }
    group.args.push(
      String(i.now), String(i.limits.tokensPerMinute), String(i.tokenDelta), i.leaseId ?? '', i.model,
      String(i.promptTokens), String(i.completionTokens), i.error ? '1' : '0', String(i.dayDelta),
    );
    return group.sent;
  }

  private sendSettlements(): void {
    const groups = [...this.settling.values()];
    this.settling.clear();
    for (const g of groups) {
      const k = this.keys(g.tenant);
      const settled = this.scripted.puertaSettle(k.tk, this.dayKey(k, g.day), k.ls, this.usageKey(k.base, g.day), ...g.args);
      if (this.indexed.day !== g.day) this.indexed = { day: g.day, tenants: new Set() };
      if (this.indexed.tenants.has(g.tenant)) {
        settled.then(() => g.resolve(), g.reject);
        continue;
      }
      // The tenant index is in another slot, so it is its own command (auto-pipelined with the
      // script). Written once a day, it lives a day longer than the usage it lists, whose TTL
      // each settlement renews within that day.
      const index = this.indexKey(g.day);
      const indexed = this.indexed.tenants;
      Promise.all([settled, this.client.sadd(index, g.tenant).then(() => this.client.expire(index, this.usageTtlSeconds + 86_400))]).then(() => {
        indexed.add(g.tenant);
        g.resolve();
      }, g.reject);
    }
  }

  async renew(leases: ReadonlyArray<{ tenant: string; leaseId: string }>, expiresAt: number): Promise<void> {
    const ttl = Math.max(1_000, 2 * (expiresAt - Date.now()));
    // Auto-pipelining batches these into one write per node.
    await Promise.all(
      leases.map(({ tenant, leaseId }) => {
        const ls = this.keys(tenant).ls;
        return this.client.zadd(ls, 'XX', expiresAt, leaseId).then(() => this.client.pexpire(ls, ttl));
      }),
    );
  }

  async usage(q: UsageQuery): Promise<UsageRow[]> {
    const rows: UsageRow[] = [];
    for (const day of daysBetween(q.from, q.to)) {
      const tenants = q.tenant !== undefined ? [q.tenant] : await this.client.smembers(this.indexKey(day));
      const hashes = await Promise.all(tenants.map((t) => this.client.hgetall(this.usageKey(this.keys(t).base, day))));
      tenants.forEach((tenant, i) => {
        const byModel = new Map<string, UsageRow>();
        for (const [field, value] of Object.entries(hashes[i]!)) {
          const bar = field.lastIndexOf('|');
          const model = field.slice(0, bar);
          if (q.model !== undefined && model !== q.model) continue;
          let row = byModel.get(model);
          if (!row) byModel.set(model, (row = { day, tenant, model, requests: 0, promptTokens: 0, completionTokens: 0, errors: 0 }));
          const n = Number(value);
          switch (field.slice(bar + 1)) {
            case 'r': row.requests = n; break;
            case 'p': row.promptTokens = n; break;
            case 'c': row.completionTokens = n; break;
            case 'e': row.errors = n; break;
          }
        }
        rows.push(...byModel.values());
      });
    }
    return rows;
  }

  /** The connection is not the store's: origin/redis/connection.ts closes it. */
  async close(): Promise<void> {}
}

/** The settlements of one tenant and day on their way to Redis as one script. */
class PendingSettlements {
  /** The script's ARGV: usage ttl and window, then 9 per settlement (quota/lua.ts). */
  readonly args: string[];
  readonly sent: Promise<void>;
  resolve!: () => void;
  reject!: (err: unknown) => void;

  constructor(
    readonly tenant: string,
    readonly day: string,
    head: readonly string[],
  ) {
    this.args = [...head];
    this.sent = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}
