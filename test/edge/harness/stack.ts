/**
 * The whole path on loopback for the edge suite: simulator → origin (auth.mode=edge, short
 * keepalive) → the edge in one runtime. Tenants are written with the real tenants-file code to a
 * temporary copy of the one tenants file, which both runtimes load.
 */
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { addKey, ensureSecretsFile, putTenant, writeTenantsFile } from '../../../edge/cli/tenants-file.ts';
import type { TenantRecordInput, TenantsFile } from '../../../shared/tenants.ts';
import { startOriginStack, type OriginStack } from '../../../sre/bench/lib/origin-stack.ts';
import type { ClientPlacement, RunningEdge } from '../../../edge/local/types.ts';
import { startViceroyEdge } from '../../../edge/local/viceroy.ts';
import { startWorkerdEdge } from '../../../edge/local/workerd.ts';

export type Runtime = 'fastly' | 'workers';

export const TENANTS = {
  open: { id: 'open-co', rateLimit: { requests: 1000, windowSeconds: 60 } },
  limited: { id: 'limited-co', rateLimit: { requests: 3, windowSeconds: 60 } },
  germany: { id: 'de-only', countries: ['DE'] },
  suspended: { id: 'paused-co', status: 'suspended' },
  // One untagged name: Ollama's `nomic-embed-text` is `nomic-embed-text:latest`.
  models: { id: 'small-models', models: ['llama3.2:3b', 'nomic-embed-text'] },
} satisfies Record<string, TenantRecordInput>;

export type TenantName = keyof typeof TENANTS;

export interface EdgeStack extends EdgeOnly {
  origin: OriginStack;
}

export async function writeTestTenants(dir: string): Promise<{ file: string; keys: Record<TenantName, string> }> {
  const data: TenantsFile = {};
  const keys = {} as Record<TenantName, string>;
  for (const [name, t] of Object.entries(TENANTS) as [TenantName, TenantRecordInput][]) {
    putTenant(data, t);
    keys[name] = (await addKey(data, t.id)).key;
  }
  const file = join(dir, 'tenants.json');
  writeTenantsFile(file, data);
  return { file, keys };
}

const agents = new Map<string, Agent>();
/** Connects from `localAddress` (undici's `connect.localAddress` option is not applied, so the socket is made here). */
function agentFor(localAddress: string): Agent {
  let a = agents.get(localAddress);
  if (!a) {
    a = new Agent({
      connect: (opts, cb) => {
        const sock = connect({ host: opts.hostname, port: Number(opts.port), localAddress });
        sock.once('connect', () => cb(null, sock)).once('error', (e) => cb(e, null));
      },
    });
    agents.set(localAddress, a);
  }
  return a;
}

/**
 * A client the platform cannot locate (Fastly `**`, Cloudflare `XX`/`T1`), on loopback (a local
 * run, where DEFAULT_COUNTRY applies) or from a remote address (where it must not). Fastly: the
 * 127.0.0.3 mapping in fastly.toml, and this machine's own non-loopback address, which Viceroy's
 * geolocation does not know (null when it has none). Workers: Miniflare's cf blob, and a
 * CF-Connecting-IP of a documentation address in place of Miniflare's loopback one.
 */
export function unlocatedClient(runtime: Runtime, from: 'loopback' | 'remote'): ClientPlacement | null {
  if (runtime === 'fastly') {
    if (from === 'loopback') return { localAddress: '127.0.0.3' };
    const own = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    return own ? { localAddress: own.address } : null;
  }
  if (from === 'loopback') return { headers: { 'MF-CF-Blob': JSON.stringify({ country: 'XX', colo: 'LCL' }) } };
  return { headers: { 'MF-CF-Blob': JSON.stringify({ country: 'T1', colo: 'LCL' }), 'CF-Connecting-IP': '203.0.113.9' } };
}

export function placedFetch(base: string, placement: ClientPlacement, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(placement.headers ?? {})) headers.set(k, v);
  const extra = placement.localAddress ? { dispatcher: agentFor(placement.localAddress) } : {};
  return fetch(base + path, { ...init, headers, ...extra } as RequestInit);
}

export interface EdgeOnly {
  edge: RunningEdge;
  keys: Record<TenantName, string>;
  secret: string;
  tenantsFile: string;
  /** fetch through the edge, optionally as a client located in `country`. */
  fetch(path: string, init?: RequestInit & { country?: 'DE' | 'US' }): Promise<Response>;
  close(): Promise<void>;
}

/** The edge alone, in front of any origin URL (the fault-injecting origin of failures.suite.ts). */
export function startEdge(runtime: Runtime, originUrl: string, config: Record<string, string> = {}): Promise<EdgeOnly> {
  return startEdgeWithSecret(runtime, originUrl, mkdtempSync(join(tmpdir(), 'puerta-edge-')), config);
}

/**
 * The whole path: simulator → origin (auth.mode=edge with the edge's secret) → edge. The origin
 * starts first on a free port; the edge is then pointed at it.
 */
export async function startEdgeStack(
  runtime: Runtime,
  opts: { keepaliveMs?: number; timeScale?: number; edgeConfig?: Record<string, string>; origin?: Record<string, unknown> } = {},
): Promise<EdgeStack> {
  // The secret must exist before the origin starts, so it is made first and handed to both.
  const dir = mkdtempSync(join(tmpdir(), 'puerta-edge-'));
  const secret = ensureSecretsFile(join(dir, 'edge-secrets.json'));
  const origin = await startOriginStack({
    sim: { timeScale: opts.timeScale ?? 1 },
    origin: { auth: { mode: 'edge', edgeSecret: secret, maxSkewMs: 60_000 }, stream: { keepaliveMs: opts.keepaliveMs ?? 150 }, ...opts.origin },
  });
  let e: EdgeOnly;
  try {
    e = await startEdgeWithSecret(runtime, origin.origin.url, dir, opts.edgeConfig ?? {});
  } catch (err) {
    await origin.close();
    throw err;
  }
  return {
    ...e,
    origin,
    async close() {
      await e.close();
      await origin.close();
    },
  };
}

/** The edge in front of `originUrl`, signing with the secret kept in `dir` (made first, so an origin can be started with it). */
export async function startEdgeWithSecret(runtime: Runtime, originUrl: string, dir: string, config: Record<string, string>): Promise<EdgeOnly> {
  const { file, keys } = await writeTestTenants(dir);
  const secretsFile = join(dir, 'edge-secrets.json');
  const secret = ensureSecretsFile(secretsFile);
  const cfg = { CORS_ALLOWED_ORIGINS: 'https://app.example.eu', ...config };
  const edge =
    runtime === 'fastly'
      ? await startViceroyEdge({ originUrl, tenantsFile: file, secretsFile, config: cfg })
      : await startWorkerdEdge({ originUrl, tenantsFile: file, signingSecret: secret, vars: cfg });
  return {
    edge,
    keys,
    secret,
    tenantsFile: file,
    fetch: (path, init = {}) => placedFetch(edge.url, edge.clientFrom(init.country ?? 'DE'), path, init),
    close: () => edge.close(),
  };
}
