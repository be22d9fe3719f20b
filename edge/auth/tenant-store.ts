/**
 * Key → tenant resolution over the platform's string store, with a short in-instance cache so a
 * Workers isolate does not read KV on every request. Fastly instances are per request, so there
 * the cache is empty each time and KV/Config Store reads are the (fast, local) path.
 */
import { checkKey, type KeyCheck } from '../../shared/tenants.ts';

interface Entry {
  value: string | null;
  expires: number;
}

const cache = new Map<string, Entry>();
const MAX_ENTRIES = 10_000;

export function cachedGet(get: (k: string) => Promise<string | null>, ttlMs: number) {
  return async (key: string): Promise<string | null> => {
    if (ttlMs <= 0) return get(key);
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = await get(key);
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(key, { value, expires: now + ttlMs });
    return value;
  };
}

export function resolveKey(get: (k: string) => Promise<string | null>, ttlMs: number, presented: string): Promise<KeyCheck> {
  return checkKey(cachedGet(get, ttlMs), presented);
}
