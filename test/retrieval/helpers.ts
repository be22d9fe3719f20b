import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKey, putTenant, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import type { TenantsFile } from '../../shared/tenants.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';

export const ADMIN_TOKEN = 'admin-token-for-retrieval-tests-0123456789';

/** Two tenants with their own keys, in a temporary tenants file (auth.mode=keys). */
export async function twoTenants(): Promise<{ file: string; dir: string; keys: { acme: string; globex: string } }> {
  const dir = mkdtempSync(join(tmpdir(), 'puerta-rag-'));
  const data: TenantsFile = {};
  putTenant(data, { id: 'acme' });
  putTenant(data, { id: 'globex' });
  const keys = { acme: (await addKey(data, 'acme')).key, globex: (await addKey(data, 'globex')).key };
  const file = join(dir, 'tenants.json');
  writeTenantsFile(file, data);
  return { file, dir, keys };
}

/** Simulator + origin with the retrieval stage on the embedded Postgres, reached over the wire. */
export function startRagStack(tenantsFile: string, extra: Record<string, unknown> = {}): Promise<OriginStack> {
  return startOriginStack({
    sim: { timeScale: 0.02 },
    origin: {
      auth: { mode: 'keys', tenantsFile },
      admin: { token: ADMIN_TOKEN },
      retrieval: { enabled: true, chunk: { tokens: 60, overlap: 12 } },
      routing: { aliases: { 'asistente-rag': { model: 'gpt-oss:20b', system: 'Sos el asistente de la mesa de ayuda.', retrieval: { collection: 'manuales' } } } },
      ...extra,
    },
  });
}

export function api(base: string, key: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON (an SSE body): the text is the answer.
    }
    return { status: res.status, json, headers: res.headers };
  };
}
