import { addKey, getTenant, listTenants, putTenant, readTenantsFile, setKeyStatus, toWranglerBulk, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import type { KeyRecord, TenantRecord } from '../../shared/tenants.ts';

/**
 * The tenants file the edge and `auth.mode: keys` read, edited from the console with the same
 * functions as `npm run tenants`. Edits run one at a time (read, change, write whole and rename),
 * so two operators' clicks cannot lose each other's change within this process.
 */
export class TenantsStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  private edit<T>(fn: (data: Record<string, string>) => Promise<T> | T): Promise<T> {
    const run = this.chain.then(async () => {
      const data = readTenantsFile(this.file);
      const out = await fn(data);
      writeTenantsFile(this.file, data);
      return out;
    });
    this.chain = run.catch(() => {});
    return run;
  }

  list(): Array<{ tenant: TenantRecord; keys: KeyRecord[] }> {
    return listTenants(readTenantsFile(this.file)).sort((a, b) => a.tenant.id.localeCompare(b.tenant.id));
  }

  /** A new tenant and its first key; the key is returned once and never stored. */
  create(input: { id: string; name?: string | undefined; models: string[]; requests: number; windowSeconds: 10 | 60; label?: string | undefined }): Promise<{ key: string; record: KeyRecord }> {
    return this.edit(async (data) => {
      if (getTenant(data, input.id)) throw new Error(`tenant '${input.id}' exists; issue it another key instead`);
      putTenant(data, { id: input.id, ...(input.name ? { name: input.name } : {}), models: input.models, rateLimit: { requests: input.requests, windowSeconds: input.windowSeconds } });
      return addKey(data, input.id, input.label);
    });
  }

  issueKey(tenant: string, label?: string): Promise<{ key: string; record: KeyRecord }> {
    return this.edit((data) => addKey(data, tenant, label));
  }

  revokeKey(keyId: string): Promise<KeyRecord> {
    return this.edit((data) => setKeyStatus(data, keyId, 'revoked'));
  }

  /** The tenant's allowed models and edge rate limit. */
  update(tenant: string, change: { models: string[]; requests: number; windowSeconds: 10 | 60 }): Promise<TenantRecord> {
    return this.edit((data) => {
      const t = getTenant(data, tenant);
      if (!t) throw new Error(`no tenant '${tenant}'`);
      return putTenant(data, { ...t, models: change.models, rateLimit: { requests: change.requests, windowSeconds: change.windowSeconds } });
    });
  }

  /** What an edge's KV store loads: the flat map (Fastly's local KV JSON) or `wrangler kv bulk put` input. Hashes only. */
  exportFor(kind: 'fastly' | 'workers'): unknown {
    const data = readTenantsFile(this.file);
    return kind === 'workers' ? toWranglerBulk(data) : data;
  }

  setStatus(tenant: string, status: TenantRecord['status']): Promise<TenantRecord> {
    return this.edit((data) => {
      const t = getTenant(data, tenant);
      if (!t) throw new Error(`no tenant '${tenant}'`);
      return putTenant(data, { ...t, status });
    });
  }
}
