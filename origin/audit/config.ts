import { hostname } from 'node:os';
import { z } from 'zod';

/** Environment strings "true"/"false"/"1"/"0" (z.coerce.boolean would read "false" as true). */
export const envBool = (def: boolean) =>
  z.preprocess((v) => (typeof v === 'string' ? !/^(false|0|no|off)$/i.test(v.trim()) : v), z.boolean()).default(def);

/** A comma-separated list from the environment, or an array from the config file. */
const regionList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'region names are lower-case letters, digits and - (cr-sjo-1)')).min(1, 'name at least one region'),
);

const regionName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'region names are lower-case letters, digits and - (cr-sjo-1)');

/** What a tenant allows: where its request metadata may be stored, and what beyond metadata. */
export const tenantPolicySchema = z.object({
  /** Regions where this tenant's records may be processed and stored; unset = the default policy's. */
  allowedRegions: regionList.optional(),
  /** Record a SHA-256 digest of the prompt (never the prompt itself) so a tenant can prove what was asked. */
  promptDigest: envBool(false).optional(),
  /** Record prompt and completion text. Off unless a tenant's contract asks for it. */
  contentLogging: envBool(false).optional(),
});
export type TenantPolicy = z.infer<typeof tenantPolicySchema>;

export const auditConfigSchema = z
  .object({
    /** Processing region of this origin, e.g. cr-sjo-1; stamped on every record. */
    region: regionName.default('local'),
    /** Node name, stamped on every record and in file names (several origins may share a disk). */
    node: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, . _ - only').default(hostname().replace(/[^A-Za-z0-9_.-]/g, '-') || 'node'),
    /** Refuse to start without a sink: production must never run without its audit trail. */
    required: envBool(false),
    /** Records are written (and fsynced) once per window: a crash loses at most this much. */
    batchWindowMs: z.coerce.number().int().min(10).max(60_000).default(1_000),
    /** Records held for a failing sink before the oldest are dropped (and counted). */
    maxPendingRecords: z.coerce.number().int().positive().default(100_000),
    /** HMAC key for the hash chain: with it, rewriting a file also needs the key, not only sha256. */
    chainKey: z.string().min(32, 'use at least 32 characters (openssl rand -hex 32)').optional(),
    file: z
      .object({
        /** Directory of the JSON Lines files; unset = no file sink. */
        dir: z.string().min(1).optional(),
        /** Region of the disk; a local disk is in the origin's own region unless said otherwise. */
        region: regionName.optional(),
        /** A file is sealed and a new one opened past this size (and at each UTC day). */
        maxFileBytes: z.coerce.number().int().min(4096).default(256 * 1024 * 1024),
        /** fsync after every batch; off only for benchmarks. */
        fsync: envBool(true),
      })
      .prefault({}),
    redis: z
      .object({
        /** Redis for shipping records inside the region (XADD to a stream); unset = no Redis sink. */
        url: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
        stream: z.string().min(1).default('puerta:audit'),
        /** Approximate cap of the stream (XADD MAXLEN ~); a shipper is expected to consume it. */
        maxLen: z.coerce.number().int().positive().default(1_000_000),
        /** Every sink declares where it stores data; required for Redis, which may be anywhere. */
        region: regionName.optional(),
      })
      .prefault({}),
    /** The default tenant policy; `allowedRegions` defaults to the processing region alone. */
    policy: tenantPolicySchema.prefault({}),
    /** Per-tenant policies by tenant id; unset fields fall back to `policy`. */
    tenants: z.record(z.string(), tenantPolicySchema).default({}),
  })
  .superRefine((a, ctx) => {
    if (a.redis.url && !a.redis.region) {
      ctx.addIssue({ code: 'custom', path: ['redis', 'region'], message: 'the Redis audit sink must declare its region (AUDIT_REDIS_REGION), e.g. cr-sjo-1' });
    }
    if (a.required && !a.file.dir && !a.redis.url) {
      ctx.addIssue({ code: 'custom', path: ['file', 'dir'], message: 'audit.required is set but no sink is configured: set AUDIT_DIR (and/or AUDIT_REDIS_URL)' });
    }
  });

export type AuditConfig = z.infer<typeof auditConfigSchema>;

/** Environment variables of this section, for the config loader's ENV_MAP. */
export const AUDIT_ENV: ReadonlyArray<readonly [string, string]> = [
  ['PUERTA_REGION', 'audit.region'],
  ['PUERTA_NODE', 'audit.node'],
  ['AUDIT_REQUIRED', 'audit.required'],
  ['AUDIT_BATCH_MS', 'audit.batchWindowMs'],
  ['AUDIT_CHAIN_KEY', 'audit.chainKey'],
  ['AUDIT_DIR', 'audit.file.dir'],
  ['AUDIT_FILE_REGION', 'audit.file.region'],
  ['AUDIT_MAX_FILE_BYTES', 'audit.file.maxFileBytes'],
  ['AUDIT_FSYNC', 'audit.file.fsync'],
  ['AUDIT_REDIS_URL', 'audit.redis.url'],
  ['AUDIT_REDIS_STREAM', 'audit.redis.stream'],
  ['AUDIT_REDIS_REGION', 'audit.redis.region'],
  ['AUDIT_ALLOWED_REGIONS', 'audit.policy.allowedRegions'],
  ['AUDIT_PROMPT_DIGEST', 'audit.policy.promptDigest'],
];
