import { daysBetween } from './day.ts';
import { ADMIT_LUA, SETTLE_LUA } from './lua.ts';
import type { RedisClient } from '../redis/client.ts';
import { TurnBatches, type TurnGroup } from '../redis/turn-batches.ts';
import { MemoByKey } from '../../shared/memo-by-key.ts';
import type { TenantLimits } from './config.ts';
import { WINDOW_MS, type AdmitInput, type Decision, type LimitKind, type QuotaStore, type SettleInput, type UsageQuery, type UsageRow } from './types.ts';

/** Leases renewed by one ZADD at most: bounds one command's size (and Redis's time on it) for a tenant with very many streams. */
const RENEW_MEMBERS = 1_000;

type Arg = string | number;
/**
 * One decision (quota/lua.ts). Allowed: requests remaining and reset, tokens remaining and reset.
 * Refused: the reason, the same four, then the retry-after.
 */
type AdmitAnswer = [number, number, number, number] | [LimitKind, number, number, number, number, number];
interface ScriptedClient {
  puertaAdmit(...args: Arg[]): Promise<AdmitAnswer[]>;
  puertaSettle(...args: Arg[]): Promise<number>;
}

/** Key names of one tenant; the `{tenant}` hash tag keeps them in one Cluster slot. */
interface TenantKeys {
  rq: string;
  tk: string;
  ls: string;
  /** Tenant tag with prefix, for the per-day keys. */
  base: string;
  /** The day `group` (the key of the tenant's decisions and settlements that day) and `dayKey` were made for. */
  day: string;
  group: string;
  dayKey: string;
}

/**
 * What every decision and every settlement of one script shares (quota/lua.ts): a tenant's limits,
 * as strings once, not again in each request's arguments.
 */
interface LimitHeads {
  settle: readonly string[];
  /** The admit script's, and the lease TTL it was made with. */
  admit: readonly string[];
  leaseTtlMs: number;
}

function decisionOf(r: AdmitAnswer): Decision {
  if (r.length === 4) {
    return { allowed: true, reason: null, requestsRemaining: r[0], requestsResetMs: r[1], tokensRemaining: r[2], tokensResetMs: r[3], retryAfterMs: 0, degraded: false };
  }
  return { allowed: false, reason: r[0], requestsRemaining: r[1], requestsResetMs: r[2], tokensRemaining: r[3], tokensResetMs: r[4], retryAfterMs: r[5], degraded: false };
}

/**
 * Limits and usage shared by every replica. One EVALSHA per decision, and one for the settlements of
 * a tenant in one turn of the event loop (ioredis falls back to EVAL after a Redis restart has emptied the script cache).
 */
export class RedisQuotaStore implements QuotaStore {
  readonly kind = 'redis' as const;
  private readonly keyCache = new MemoByKey<TenantKeys>((tenant) => {
    const base = `${this.prefix}{${tenant}}`;
    return { rq: `${base}:rq`, tk: `${base}:tk`, ls: `${base}:ls`, base, day: '', group: '', dayKey: '' };
  });
  /**
   * Tenants this replica has put in a day's usage index, and the day. The index is written once
   * per tenant and day (not on every settlement: two commands fewer per request); forgotten on
   * every (re)connection, since a Redis that restarted may have lost it.
   */
  private indexed: { day: string; tenants: Set<string> } = { day: '', tenants: new Set() };
  /** Decisions and settlements to send at the end of this turn of the event loop, by day and tenant (see admit, settle). */
  private readonly admitting = new TurnBatches<AdmitInput>((g) => this.sendAdmits(g));
  private readonly settling = new TurnBatches<SettleInput>((g) => this.sendSettlements(g));
  /** Heads by limits: the quota service hands every request of a tenant the same limits object. */
  private readonly heads = new WeakMap<TenantLimits, LimitHeads>();

  constructor(
    readonly client: RedisClient,
    private readonly prefix: string,
    private readonly usageTtlSeconds: number,
  ) {
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
    return this.keyCache.get(tenant);
  }

  /** The tenant's keys, with the group key and day key of `day` (made once a day, not per request). */
  private keysOn(tenant: string, day: string): TenantKeys {
    const k = this.keys(tenant);
    if (k.day !== day) {
      k.group = `${day} ${tenant}`;
      k.dayKey = `${k.base}:d:${day}`;
      k.day = day;
    }
    return k;
  }

  private dayKey(k: TenantKeys, day: string): string {
    return k.day === day ? k.dayKey : `${k.base}:d:${day}`;
  }

  private headsOf(l: TenantLimits): LimitHeads {
    let h = this.heads.get(l);
    if (!h) {
      h = { settle: [String(this.usageTtlSeconds), String(WINDOW_MS), String(l.tokensPerMinute)], admit: [], leaseTtlMs: NaN };
      this.heads.set(l, h);
    }
    return h;
  }

  private admitHead(l: TenantLimits, leaseTtlMs: number): readonly string[] {
    const h = this.headsOf(l);
    if (h.leaseTtlMs !== leaseTtlMs) {
      h.admit = [String(WINDOW_MS), String(l.requestsPerMinute), String(l.tokensPerMinute), String(l.dailyTokens), String(l.concurrentStreams), String(leaseTtlMs)];
      h.leaseTtlMs = leaseTtlMs;
    }
    return h.admit;
  }

  private usageKey(base: string, day: string): string {
    return `${base}:u:${day}`;
  }

  private indexKey(day: string): string {
    return `${this.prefix}usage-tenants:{${day}}`;
  }

  /**
   * The decisions for one tenant and day asked for in one turn of the event loop go as one script,
   * taken in the order they were asked for (quota/lua.ts).
   */
  admit(i: AdmitInput): Promise<Decision> {
    const g = this.admitting.group(this.keysOn(i.tenant, i.day).group, i, this.admitHead(i.limits, i.leaseTtlMs));
    const at = g.join(String(i.now), String(i.estimate), i.leaseId ?? '');
    // One promise per decision (no async layers over the group's answer): this runs on every request.
    return g.sent.then((answers) => decisionOf(g.entry(answers, at, 'quota decisions') as AdmitAnswer));
  }

  private sendAdmits(g: TurnGroup<AdmitInput>): Promise<unknown> {
    const k = this.keys(g.ctx.tenant);
    return this.scripted.puertaAdmit(k.rq, k.tk, this.dayKey(k, g.ctx.day), k.ls, ...g.args);
  }

  /**
   * Settlements of one tenant and day asked for in one turn of the event loop go as one script
   * (streams of a tenant tend to end together): one command, not one per request. Each caller
   * waits on its group's script, so a failure reaches every settlement in it.
   */
  async settle(i: SettleInput): Promise<void> {
    const g = this.settling.group(this.keysOn(i.tenant, i.day).group, i, this.headsOf(i.limits).settle);
    g.join(String(i.now), String(i.tokenDelta), i.leaseId ?? '', i.model, String(i.promptTokens), String(i.completionTokens), i.error ? '1' : '0', String(i.dayDelta));
    await g.sent;
  }

  private async sendSettlements(g: TurnGroup<SettleInput>): Promise<void> {
    const { tenant, day } = g.ctx;
    const k = this.keys(tenant);
    const settled = this.scripted.puertaSettle(k.tk, this.dayKey(k, day), k.ls, this.usageKey(k.base, day), ...g.args);
    if (this.indexed.day !== day) this.indexed = { day, tenants: new Set() };
    if (this.indexed.tenants.has(tenant)) {
      await settled;
      return;
    }
    // The tenant index is in another slot, so it is its own command, sent beside the script.
    // Written once a day, it lives a day longer than the usage it lists, whose TTL
    // each settlement renews within that day.
    const index = this.indexKey(day);
    const indexed = this.indexed.tenants;
    await Promise.all([settled, this.client.sadd(index, tenant).then(() => this.client.expire(index, this.usageTtlSeconds + 86_400))]);
    indexed.add(tenant);
  }

  async renew(leases: ReadonlyArray<{ tenant: string; leaseId: string }>, expiresAt: number): Promise<void> {
    const ttl = Math.max(1_000, 2 * (expiresAt - Date.now()));
    // One ZADD per tenant's lease set (at most RENEW_MEMBERS leases each), not one per lease: an
    // origin with thousands of open streams renews them all at once, and a command (with its
    // promise and reply) per stream was garbage made in bulk while they all stay open.
    const byKey = new Map<string, Array<string | number>>();
    for (const { tenant, leaseId } of leases) {
      const ls = this.keys(tenant).ls;
      let members = byKey.get(ls);
      if (!members) byKey.set(ls, (members = []));
      members.push(expiresAt, leaseId);
    }
    const sent: Array<Promise<unknown>> = [];
    for (const [ls, members] of byKey) {
      const parts: Array<Promise<unknown>> = [];
      for (let i = 0; i < members.length; i += 2 * RENEW_MEMBERS) parts.push(this.client.zadd(ls, 'XX', ...members.slice(i, i + 2 * RENEW_MEMBERS)));
      // The expiry once every ZADD of the set has answered.
      sent.push(Promise.all(parts).then(() => this.client.pexpire(ls, ttl)));
    }
    await Promise.all(sent);
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

