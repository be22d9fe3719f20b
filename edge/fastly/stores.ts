/**
 * Fastly resource names (link names in the service; `[local_server]` names in fastly.toml).
 * Config Store for settings, KV Store for tenants and keys (hashes only), Secret Store for the
 * signing secret, so the secret is never readable from the service config.
 */
import { ConfigStore } from 'fastly:config-store';
import { KVStore } from 'fastly:kv-store';
import { SecretStore } from 'fastly:secret-store';
import { STORES } from '../store-names.ts';
import { CONFIG_KEYS } from '../config.ts';

export { STORES };

export function readConfig(): Record<string, string | undefined> {
  const store = new ConfigStore(STORES.config);
  const out: Record<string, string | undefined> = {};
  for (const k of CONFIG_KEYS) out[k] = store.get(k) ?? undefined;
  return out;
}

export function tenantsGet(): (key: string) => Promise<string | null> {
  const kv = new KVStore(STORES.tenants);
  return async (key) => {
    const entry = await kv.get(key);
    return entry ? entry.text() : null;
  };
}

export async function signingSecret(): Promise<string> {
  const entry = await new SecretStore(STORES.secrets).get(STORES.signingSecretKey);
  if (!entry) {
    throw new Error(`secret '${STORES.signingSecretKey}' missing from secret store '${STORES.secrets}'`);
  }
  return entry.plaintext();
}
