/**
 * Runs the edge on this machine in front of a local origin: Viceroy (the Fastly build) when its
 * binary is present, else workerd (the Workers build). Used by `npm start` and `npm run bench:edge`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { addKey, DEFAULT_SECRETS_FILE, DEFAULT_TENANTS_FILE, ensureSecretsFile, getTenant, listTenants, putTenant, readTenantsFile, setKeyStatus, writeTenantsFile } from '../cli/tenants-file.ts';
import type { RunningEdge } from './types.ts';
import { startViceroyEdge, viceroyPath } from './viceroy.ts';
import { startWorkerdEdge } from './workerd.ts';

export type { RunningEdge } from './types.ts';

export interface LocalEdgeOptions {
  originUrl: string;
  runtime?: 'auto' | 'fastly' | 'workers';
  port?: number;
  tenantsFile?: string;
  secretsFile?: string;
  config?: Record<string, string>;
}

export function localRuntime(wanted: LocalEdgeOptions['runtime'] = 'auto'): 'fastly' | 'workers' {
  if (wanted !== 'auto') return wanted;
  return existsSync(viceroyPath()) ? 'fastly' : 'workers';
}

export async function startLocalEdge(opts: LocalEdgeOptions): Promise<RunningEdge> {
  const tenantsFile = resolve(opts.tenantsFile ?? DEFAULT_TENANTS_FILE);
  const secretsFile = resolve(opts.secretsFile ?? DEFAULT_SECRETS_FILE);
  const signingSecret = ensureSecretsFile(secretsFile);
  if (!existsSync(tenantsFile)) writeTenantsFile(tenantsFile, {});
  const common = { originUrl: opts.originUrl, tenantsFile, ...(opts.port ? { port: opts.port } : {}) };
  return localRuntime(opts.runtime) === 'fastly'
    ? startViceroyEdge({ ...common, secretsFile, ...(opts.config ? { config: opts.config } : {}) })
    : startWorkerdEdge({ ...common, signingSecret, ...(opts.config ? { vars: opts.config } : {}) });
}

const DEMO_LABEL = 'npm start demo';

/**
 * A `demo` tenant with a fresh key for this run. Earlier demo keys are revoked rather than kept
 * in plaintext anywhere: the file still holds hashes only.
 */
export async function prepareDemoTenant(tenantsFile = DEFAULT_TENANTS_FILE): Promise<{ tenant: string; key: string }> {
  const data = readTenantsFile(tenantsFile);
  if (!getTenant(data, 'demo')) putTenant(data, { id: 'demo', name: 'npm start demo tenant' });
  for (const { tenant, keys } of listTenants(data)) {
    if (tenant.id !== 'demo') continue;
    for (const k of keys) if (k.label === DEMO_LABEL && k.status === 'active') setKeyStatus(data, k.id, 'revoked');
  }
  const { key } = await addKey(data, 'demo', DEMO_LABEL);
  writeTenantsFile(tenantsFile, data);
  return { tenant: 'demo', key };
}

export function localSigningSecret(secretsFile = DEFAULT_SECRETS_FILE): string {
  return ensureSecretsFile(secretsFile);
}
