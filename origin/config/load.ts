import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AUDIT_ENV } from '../audit/config.ts';
import { METRICS_ENV } from '../metrics/config.ts';
import { ADMIN_ENV } from '../admin/config.ts';
import { CONSOLE_ENV } from '../console/config.ts';
import { ADMISSION_ENV } from '../admission/config.ts';
import { QUOTA_ENV } from '../quota/config.ts';
import { REDIS_ENV } from '../redis/config.ts';
import { ROUTING_ENV } from '../routing/config.ts';
import { RETRIEVAL_ENV } from '../retrieval/config.ts';
import { BATCH_ENV } from '../batch/config.ts';
import { originConfigSchema, type OriginConfig } from './schema.ts';

/** Environment variables and the config path each one sets (env wins over the file). */
export const ENV_MAP: ReadonlyArray<readonly [env: string, path: string]> = [
  ['HOST', 'server.host'],
  ['PORT', 'server.port'],
  ['MAX_BODY_BYTES', 'server.maxBodyBytes'],
  ['SHUTDOWN_GRACE_MS', 'server.shutdownGraceMs'],
  ['SERVER_IDLE_TIMEOUT_MS', 'server.idleTimeoutMs'],
  ['HEADERS_TIMEOUT_MS', 'server.headersTimeoutMs'],
  ['REQUEST_RECEIVE_TIMEOUT_MS', 'server.requestReceiveTimeoutMs'],
  ['LISTEN_BACKLOG', 'server.listenBacklog'],
  ['LOG_LEVEL', 'log.level'],
  ['AUTH_MODE', 'auth.mode'],
  ['EDGE_SIGNING_SECRET', 'auth.edgeSecret'],
  ['TENANTS_FILE', 'auth.tenantsFile'],
  ['SIGNATURE_MAX_SKEW_MS', 'auth.maxSkewMs'],
  ['KEEPALIVE_INTERVAL_MS', 'stream.keepaliveMs'],
  ['WRITE_STALL_MS', 'stream.writeStallMs'],
  ['MODELS_REFRESH_MS', 'modelsRefreshMs'],
  ...AUDIT_ENV,
  ...METRICS_ENV,
  ...REDIS_ENV,
  ...QUOTA_ENV,
  ...ADMISSION_ENV,
  ...ROUTING_ENV,
  ...ADMIN_ENV,
  ...CONSOLE_ENV,
  ...RETRIEVAL_ENV,
  ...BATCH_ENV,
];

/** Settings of the single upstream that OLLAMA_URL describes. */
export const UPSTREAM_ENV: ReadonlyArray<readonly [env: string, key: string]> = [
  ['UPSTREAM_KIND', 'kind'],
  ['UPSTREAM_API_KEY', 'apiKey'],
  ['UPSTREAM_HOST_HEADER', 'hostHeader'],
  ['UPSTREAM_CONNECT_TIMEOUT_MS', 'connectTimeoutMs'],
  ['UPSTREAM_FIRST_BYTE_TIMEOUT_MS', 'firstByteTimeoutMs'],
  ['UPSTREAM_IDLE_TIMEOUT_MS', 'idleTimeoutMs'],
  ['UPSTREAM_POOL_IDLE_MS', 'poolIdleMs'],
  ['UPSTREAM_METADATA_TIMEOUT_MS', 'metadataTimeoutMs'],
  ['OLLAMA_KEEP_ALIVE', 'keepAlive'],
  ['OLLAMA_NUM_CTX', 'numCtx'],
  ['UPSTREAM_METRICS_PATH', 'metricsPath'],
  ['UPSTREAM_RESPONSE_FORMAT', 'responseFormat'],
];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;

function setPath(target: Obj, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Obj;
  }
  cur[keys[keys.length - 1]!] = value;
}

function getPath(source: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur = source;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

export function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? deepMerge(b as Obj, v as Obj)
        : v;
  }
  return out;
}

/** Fields whose wrong value may be a secret itself (a password pasted where its hash belongs): never echoed. */
const HIDDEN_VALUES = new Set(['console.passwordHash']);

/** Fixes for fields no single environment variable sets. */
const HINTS: Record<string, string> = {
  upstreams: 'set OLLAMA_URL for one Ollama upstream, or upstreams[] in the config file',
};

function envName(path: ReadonlyArray<PropertyKey>): string | undefined {
  const p = path.join('.');
  return ENV_MAP.find(([, cfg]) => cfg === p)?.[0];
}

/** One line per problem: field, the value given, what was wrong, and where to fix it. */
export function formatConfigIssues(error: z.ZodError, raw: unknown, source: string): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.join('.') || '(root)';
    const value = getPath(raw, issue.path);
    const env = envName(issue.path);
    const shown = value === undefined ? 'missing' : HIDDEN_VALUES.has(field) ? '(not shown)' : JSON.stringify(value);
    const fix = env ? `set ${env} or ${field} in the config file` : HINTS[field];
    return `  - ${field} = ${shown}: ${issue.message}${fix ? ` (${fix})` : ''}`;
  });
  return `invalid origin configuration (${source}):\n${lines.join('\n')}`;
}

/** Settings that no longer exist, and where their job went: refused by name rather than silently ignored. */
const MOVED: ReadonlyArray<{ env: string; path: string; now: string }> = [
  { env: 'METRICS_UPSTREAM_POLL_MS', path: 'metrics.upstreamPollMs', now: 'one poller serves health and metrics now: set HEALTH_CHECK_INTERVAL_MS or routing.health.intervalMs' },
];

function movedSettings(env: NodeJS.ProcessEnv, raw: Obj): string[] {
  const out: string[] = [];
  for (const m of MOVED) {
    if (env[m.env] !== undefined && env[m.env] !== '') out.push(`  - ${m.env} is no longer read: ${m.now}`);
    if (getPath(raw, m.path.split('.')) !== undefined) out.push(`  - ${m.path} is no longer read: ${m.now}`);
  }
  return out;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; defaults to env PUERTA_ORIGIN_CONFIG. */
  file?: string;
  /** Applied last: tests and the local stack use it. */
  overrides?: Obj;
}

export function loadOriginConfig(opts: LoadOptions = {}): OriginConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.PUERTA_ORIGIN_CONFIG;
  let raw: Obj = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Obj;
    } catch (err) {
      throw new ConfigError(`cannot read origin config file ${file}: ${(err as Error).message}`);
    }
  }
  const fromEnv: Obj = {};
  for (const [name, path] of ENV_MAP) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(fromEnv, path, v);
  }
  raw = deepMerge(raw, fromEnv);
  if (env.OLLAMA_URL) {
    const upstream: Obj = { name: 'default', url: env.OLLAMA_URL };
    for (const [name, key] of UPSTREAM_ENV) {
      const v = env[name];
      if (v !== undefined && v !== '') upstream[key] = /^-?\d+$/.test(v) && key === 'keepAlive' ? Number(v) : v;
    }
    if (env.UPSTREAM_MODELS) upstream.models = env.UPSTREAM_MODELS.split(',').map((s) => s.trim()).filter(Boolean);
    raw.upstreams = [upstream];
  }
  if (opts.overrides) raw = deepMerge(raw, opts.overrides);
  const moved = movedSettings(env, raw);
  if (moved.length > 0) throw new ConfigError(`invalid origin configuration (${file ? `file ${file} + environment` : 'environment'}):\n${moved.join('\n')}`);
  const parsed = originConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatConfigIssues(parsed.error, raw, file ? `file ${file} + environment` : 'environment'));
  return parsed.data;
}
