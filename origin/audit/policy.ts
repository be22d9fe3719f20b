import type { AuditConfig, TenantPolicy } from './config.ts';

export interface ResolvedPolicy {
  allowedRegions: readonly string[];
  promptDigest: boolean;
  contentLogging: boolean;
}

/** A tenant's policy with the default policy's values where the tenant says nothing. */
/** `tenantId` undefined: the default policy alone. */
export function policyFor(cfg: AuditConfig, tenantId?: string): ResolvedPolicy {
  const d = cfg.policy;
  const t: TenantPolicy | undefined = tenantId === undefined || !Object.hasOwn(cfg.tenants, tenantId) ? undefined : cfg.tenants[tenantId];
  return {
    allowedRegions: t?.allowedRegions ?? d.allowedRegions ?? [cfg.region],
    promptDigest: t?.promptDigest ?? d.promptDigest ?? false,
    contentLogging: t?.contentLogging ?? d.contentLogging ?? false,
  };
}

export interface SinkRegion {
  /** Config path of the sink's region (for the error message). */
  path: ReadonlyArray<string>;
  sink: string;
  region: string;
  /** What it is, for the message: an audit sink unless said otherwise (the retrieval store). */
  what?: string;
  /** How to fix a violation; defaults to the audit sink's. */
  fix?: string;
}

/** Every sink that will receive records, with the region it declared. */
export function sinkRegions(cfg: AuditConfig): SinkRegion[] {
  const out: SinkRegion[] = [];
  if (cfg.file.dir) out.push({ path: ['file', 'region'], sink: `file (${cfg.file.dir})`, region: cfg.file.region ?? cfg.region });
  if (cfg.redis.url && cfg.redis.region) out.push({ path: ['redis', 'region'], sink: `redis stream '${cfg.redis.stream}'`, region: cfg.redis.region });
  return out;
}

export interface RegionViolation {
  path: ReadonlyArray<string>;
  message: string;
}

/**
 * Data residency, checked before the origin accepts a request: the processing region and every
 * sink's region must be inside the allowed regions of the default policy and of every tenant
 * policy. Any violation stops the start, naming the sink, its region and the policy.
 */
export function regionViolations(cfg: AuditConfig, stores: readonly SinkRegion[] = []): RegionViolation[] {
  const policies: Array<[name: string, path: ReadonlyArray<string>, p: ResolvedPolicy]> = [
    ['default policy', ['policy', 'allowedRegions'], policyFor(cfg)],
    ...Object.keys(cfg.tenants).map((id) => [`tenant '${id}' policy`, ['tenants', id, 'allowedRegions'], policyFor(cfg, id)] as [string, string[], ResolvedPolicy]),
  ];
  const out: RegionViolation[] = [];
  for (const [name, policyPath, p] of policies) {
    const allowed = p.allowedRegions.join(', ');
    if (!p.allowedRegions.includes(cfg.region)) {
      out.push({
        path: ['region'],
        message: `this origin processes in region '${cfg.region}', outside the allowed regions [${allowed}] of the ${name} (audit.${policyPath.join('.')}); run the origin in an allowed region or change the policy`,
      });
    }
    for (const s of [...sinkRegions(cfg), ...stores]) {
      if (!p.allowedRegions.includes(s.region)) {
        out.push({
          path: s.path,
          message: `${s.what ?? 'audit sink'} ${s.sink} is in region '${s.region}', outside the allowed regions [${allowed}] of the ${name} (audit.${policyPath.join('.')}); ${s.fix ?? 'use a sink in an allowed region or remove it'}`,
        });
      }
    }
  }
  return out;
}
