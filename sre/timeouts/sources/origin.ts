/**
 * The origin's timers, through the origin's own loader (same env names, file and validation), each
 * with where its value came from: the environment, the config file's field, or the schema default.
 */
import { ENV_MAP, UPSTREAM_ENV, loadOriginConfig } from '../../../origin/config/load.ts';
import type { OriginConfig } from '../../../origin/config/schema.ts';
import { describeSource, type Timer, type TimerSource } from '../timers.ts';
import { readJsonc, type Table } from './read-config.ts';

export interface OriginTimers {
  keepaliveMs: number;
  /** Undefined when the origin config has no admission queue wait limit. */
  queueWaitMs?: number;
  queueWaitField?: string;
  admissionMode: 'queue' | 'off';
  /** admission.slots: explicit slots per `model` or `upstream/model`. */
  slots: Record<string, number>;
  upstreams: Array<{ name: string; url: string; connectTimeoutMs: number; firstByteTimeoutMs: number; idleTimeoutMs: number }>;
  shutdownGraceMs: number;
  health: { intervalMs: number; timeoutMs: number };
  /** Every timer of the origin, with its source. */
  timers: Timer[];
  source: string;
}

/**
 * The admission queue's longest wait (origin/admission/config.ts): the larger of the interactive
 * and batch limits. With admission off the origin does not bound the wait at all (Ollama queues
 * loaded-model requests without limit), so there is no value to check against.
 */
function queueWait(cfg: OriginConfig): { ms: number; field: string } | undefined {
  const a = cfg.admission;
  if (a.mode === 'off') return undefined;
  if (a.batchQueueWaitMs !== undefined && a.batchQueueWaitMs > a.queueWaitMs) return { ms: a.batchQueueWaitMs, field: 'admission.batchQueueWaitMs' };
  return { ms: a.queueWaitMs, field: 'admission.queueWaitMs' };
}

function at(t: unknown, path: readonly (string | number)[]): unknown {
  let cur = t;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** The origin's timers: config path, hop, what it bounds. Upstream ones repeat per upstream. */
const ORIGIN_TIMERS: ReadonlyArray<{ path: string; hop: string; bounds: string }> = [
  { path: 'server.headersTimeoutMs', hop: 'client → origin', bounds: 'request headers must arrive (then 408, closed)' },
  { path: 'server.requestReceiveTimeoutMs', hop: 'client → origin', bounds: 'whole request, headers and body, must arrive' },
  { path: 'server.idleTimeoutMs', hop: 'client → origin', bounds: 'idle client connection kept for reuse' },
  { path: 'stream.writeStallMs', hop: 'origin → client', bounds: 'client reads nothing with its buffer full (then dropped)' },
  { path: 'server.shutdownGraceMs', hop: 'origin', bounds: 'open streams on SIGTERM before they are ended' },
  { path: 'stream.keepaliveMs', hop: 'origin → client', bounds: 'silence before a `: keepalive` comment' },
  { path: 'admission.queueWaitMs', hop: 'origin', bounds: 'wait for an engine slot (interactive)' },
  { path: 'admission.batchQueueWaitMs', hop: 'origin', bounds: 'wait for an engine slot (batch)' },
  { path: 'modelsRefreshMs', hop: 'origin → upstream', bounds: 'how long a discovered model list is trusted' },
  { path: 'routing.health.intervalMs', hop: 'origin → upstream', bounds: 'upstream poll period (health, models, restarts)' },
  { path: 'routing.health.timeoutMs', hop: 'origin → upstream', bounds: 'one upstream poll' },
  { path: 'routing.health.ejectMs', hop: 'origin → upstream', bounds: 'first passive ejection' },
  { path: 'routing.health.maxEjectMs', hop: 'origin → upstream', bounds: 'longest passive ejection' },
];
const UPSTREAM_TIMERS: ReadonlyArray<{ key: string; bounds: string }> = [
  { key: 'connectTimeoutMs', bounds: 'TCP connect to the engine' },
  { key: 'firstByteTimeoutMs', bounds: 'engine response headers (its own queue + a model load)' },
  { key: 'idleTimeoutMs', bounds: 'silence between engine bytes mid-stream' },
  { key: 'poolIdleMs', bounds: 'idle pooled engine connection kept for reuse' },
  { key: 'metadataTimeoutMs', bounds: 'model lists and version requests' },
];

export function readOriginConfig(opts: { env?: NodeJS.ProcessEnv; file?: string } = {}): OriginTimers {
  const env = { ...(opts.env ?? process.env) };
  const file = opts.file ?? env.PUERTA_ORIGIN_CONFIG;
  // Read here first, strictly (the origin reads plain JSON), so a broken file is named with its line.
  const raw: Table = file ? readJsonc(file, { strict: true }) : {};
  // The checker needs timers, not a reachable upstream: a placeholder satisfies the schema's min(1).
  if (!env.OLLAMA_URL && !file) env.OLLAMA_URL = 'http://127.0.0.1:11434';
  const cfg = loadOriginConfig({ env, ...(file ? { file } : {}) });
  const fromEnvUpstream = Boolean(env.OLLAMA_URL);

  const sourceOf = (path: string, envName: string | undefined): TimerSource => {
    if (envName && env[envName] !== undefined && env[envName] !== '') return { env: envName };
    if (file && at(raw, path.replace(/\[(\d+)\]/g, '.$1').split('.')) !== undefined) return { file, field: path };
    return { default: `origin config ${path.replace(/\[\d+\]/, '[]')}` };
  };
  const timers: Timer[] = [];
  for (const t of ORIGIN_TIMERS) {
    const value = at(cfg, t.path.split('.'));
    if (typeof value !== 'number') continue;
    if (t.path.startsWith('admission.') && cfg.admission.mode === 'off') continue;
    const envName = ENV_MAP.find(([, p]) => p === t.path)?.[0];
    timers.push({ hop: t.hop, setting: `origin ${t.path}`, valueMs: value, bounds: t.bounds, source: describeSource(sourceOf(t.path, envName)) });
  }
  cfg.upstreams.forEach((u, i) => {
    for (const t of UPSTREAM_TIMERS) {
      const path = `upstreams[${i}].${t.key}`;
      const envName = fromEnvUpstream ? UPSTREAM_ENV.find(([, k]) => k === t.key)?.[0] : undefined;
      timers.push({ hop: 'origin → upstream', setting: `origin ${path} ('${u.name}')`, valueMs: (u as unknown as Record<string, number>)[t.key]!, bounds: t.bounds, source: describeSource(sourceOf(path, envName)) });
    }
  });

  const qw = queueWait(cfg);
  return {
    keepaliveMs: cfg.stream.keepaliveMs,
    ...(qw ? { queueWaitMs: qw.ms, queueWaitField: qw.field } : {}),
    admissionMode: cfg.admission.mode,
    slots: cfg.admission.slots,
    upstreams: cfg.upstreams.map((u) => ({
      name: u.name,
      url: u.url,
      connectTimeoutMs: u.connectTimeoutMs,
      firstByteTimeoutMs: u.firstByteTimeoutMs,
      idleTimeoutMs: u.idleTimeoutMs,
    })),
    shutdownGraceMs: cfg.server.shutdownGraceMs,
    health: { intervalMs: cfg.routing.health.intervalMs, timeoutMs: cfg.routing.health.timeoutMs },
    timers,
    source: file ? `${file} + environment over origin/config/schema.ts defaults` : 'origin/config/schema.ts defaults + environment',
  };
}
