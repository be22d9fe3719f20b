/**
 * Waiters of one priority class, fair between tenants: tenants take turns (round robin), and a
 * tenant that had nothing waiting goes to the front of the turn order. So one tenant's hundred
 * queued requests delay another tenant's single one by at most one slot turn.
 */
export class FairQueue<W extends { tenant: string }> {
  private readonly byTenant = new Map<string, W[]>();
  /** Tenants with waiters, in turn order. */
  private readonly ring: string[] = [];
  size = 0;

  push(w: W): void {
    let q = this.byTenant.get(w.tenant);
    if (!q) {
      q = [];
      this.byTenant.set(w.tenant, q);
    }
    if (q.length === 0) this.ring.unshift(w.tenant);
    q.push(w);
    this.size++;
  }

  /**
   * The turn `shift(ok)` would take: the first tenant in turn order whose next waiter passes `ok`
   * (a tenant at its cap is passed over, keeping its place in the order). -1: none.
   */
  private turn(ok?: (w: W) => boolean): number {
    if (!ok) return this.ring.length > 0 ? 0 : -1;
    return this.ring.findIndex((t) => ok(this.byTenant.get(t)![0]!));
  }

  /** The waiter `shift(ok)` would return, left in place. */
  peek(ok?: (w: W) => boolean): W | undefined {
    const i = this.turn(ok);
    return i < 0 ? undefined : this.byTenant.get(this.ring[i]!)![0];
  }

  /** Next waiter by turn (of those passing `ok`); its tenant moves to the back of the order if it has more waiting. */
  shift(ok?: (w: W) => boolean): W | undefined {
    const i = this.turn(ok);
    if (i < 0) return undefined;
    const tenant = this.ring.splice(i, 1)[0]!;
    const q = this.byTenant.get(tenant)!;
    const w = q.shift()!;
    this.size--;
    if (q.length > 0) this.ring.push(tenant);
    else this.byTenant.delete(tenant);
    return w;
  }

  /**
   * Waiters that `shift()` would hand out before `w`, in the tenants' turns as they stand now
   * (a tenant that starts waiting later may still go first); -1 when `w` is not queued.
   */
  ahead(w: W): number {
    const k = this.byTenant.get(w.tenant)?.indexOf(w) ?? -1;
    if (k < 0) return -1;
    const mine = this.ring.indexOf(w.tenant);
    let n = 0;
    this.ring.forEach((t, i) => {
      const len = this.byTenant.get(t)!.length;
      n += Math.min(len, k) + (i < mine && len > k ? 1 : 0);
    });
    return n;
  }

  /** Takes a waiter out (client left, wait limit); false when it was not queued. */
  remove(w: W): boolean {
    const q = this.byTenant.get(w.tenant);
    if (!q) return false;
    const i = q.indexOf(w);
    if (i < 0) return false;
    q.splice(i, 1);
    this.size--;
    if (q.length === 0) {
      this.byTenant.delete(w.tenant);
      const r = this.ring.indexOf(w.tenant);
      if (r >= 0) this.ring.splice(r, 1);
    }
    return true;
  }

  /** Waiting per tenant (for the admin view). */
  tenants(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [t, q] of this.byTenant) out[t] = q.length;
    return out;
  }
}
