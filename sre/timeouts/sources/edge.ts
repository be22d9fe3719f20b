/**
 * The edge's timers as deployed: the config store items in fastly.toml (or wrangler's vars) over
 * the defaults in edge/config.ts, read with the edge's own zod schema so a value the edge would
 * refuse is refused here too. Each timer says where its value came from.
 */
import { dirname, resolve } from 'node:path';
import { edgeConfigSchema, EdgeConfigError, parseEdgeConfig } from '../../../edge/config.ts';
import type { TimerSource } from '../timers.ts';
import { ConfigReadError, isTable, readJsonc, readToml, tableAt, type Table } from './read-config.ts';

export interface EdgeTimers {
  platform: 'fastly' | 'workers';
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  betweenBytesTimeoutMs: number;
  source: string;
  /** Where each timer's value came from: `file [field]`, or the default in edge/config.ts. */
  sources: Record<'connectTimeoutMs' | 'firstByteTimeoutMs' | 'betweenBytesTimeoutMs', TimerSource>;
}

const KEYS = {
  connectTimeoutMs: 'CONNECT_TIMEOUT_MS',
  firstByteTimeoutMs: 'FIRST_BYTE_TIMEOUT_MS',
  betweenBytesTimeoutMs: 'BETWEEN_BYTES_TIMEOUT_MS',
} as const;

function scalar(v: unknown, file: string, field: string): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ConfigReadError(file, undefined, `${field} should be a string, number or boolean, not ${Array.isArray(v) ? 'an array' : typeof v}`);
}

/** `raw` values with where each was read (`fieldOf(key)`), validated by the edge's own schema. */
function fromConfig(platform: EdgeTimers['platform'], raw: Record<string, string>, file: string, fieldOf: (key: string) => string): EdgeTimers {
  let cfg;
  try {
    // ORIGIN_URL is required by the edge but irrelevant to timeouts; a placeholder keeps parsing strict elsewhere.
    cfg = parseEdgeConfig({ ORIGIN_URL: 'https://origin.invalid', ...raw });
  } catch (err) {
    if (err instanceof EdgeConfigError) throw new ConfigReadError(file, undefined, err.message);
    throw err;
  }
  const src = (key: string): TimerSource =>
    raw[key] !== undefined ? { file, field: fieldOf(key) } : { default: `edge/config.ts ${key} (${String(edgeConfigSchema.shape[key as keyof typeof edgeConfigSchema.shape].parse(undefined))})` };
  return {
    platform,
    connectTimeoutMs: cfg.CONNECT_TIMEOUT_MS,
    firstByteTimeoutMs: cfg.FIRST_BYTE_TIMEOUT_MS,
    betweenBytesTimeoutMs: cfg.BETWEEN_BYTES_TIMEOUT_MS,
    source: `${file} over edge/config.ts defaults`,
    sources: { connectTimeoutMs: src(KEYS.connectTimeoutMs), firstByteTimeoutMs: src(KEYS.firstByteTimeoutMs), betweenBytesTimeoutMs: src(KEYS.betweenBytesTimeoutMs) },
  };
}

/** Viceroy's config store: inline `contents`, or a JSON `file` next to fastly.toml. */
function localStore(store: Table, file: string, at: string): { values: Record<string, string>; file: string; at: string } {
  const format = store.format;
  if (store.file !== undefined) {
    const path = resolve(dirname(file), scalar(store.file, file, `${at}.file`));
    if (format !== 'json') throw new ConfigReadError(file, undefined, `${at}.format should be "json" for a store read from a file (is ${JSON.stringify(format)})`);
    const json = readJsonc(path);
    return { values: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, scalar(v, path, k)])), file: path, at: '' };
  }
  const contents = tableAt(store, ['contents'], file) ?? {};
  return { values: Object.fromEntries(Object.entries(contents).map(([k, v]) => [k, scalar(v, file, `${at}.contents.${k}`)])), file, at: `${at}.contents` };
}

/**
 * `section`: `setup` is what `fastly compute deploy` provisions (production), `local` is what
 * Viceroy runs. With ORIGIN_BACKEND set, the named backend's own timeouts apply instead.
 */
export function readFastlyToml(file: string, section: 'setup' | 'local' = 'setup'): EdgeTimers {
  const toml = readToml(file);
  const top = section === 'setup' ? 'setup' : 'local_server';
  const at = `${top}.config_stores.puerta_config`;
  const store = tableAt(toml, [top, 'config_stores', 'puerta_config'], file);
  let values: Record<string, string> = {};
  let timers: EdgeTimers;
  if (section === 'setup') {
    const items = store ? (tableAt(store, ['items'], file) ?? {}) : {};
    for (const [k, item] of Object.entries(items)) {
      if (!isTable(item) || item.value === undefined) throw new ConfigReadError(file, undefined, `[${at}.items.${k}] needs a value = "…"`);
      values[k] = scalar(item.value, file, `${at}.items.${k}.value`);
    }
    timers = fromConfig('fastly', values, file, (k) => `[${at}.items.${k}] value`);
  } else {
    const local = store ? localStore(store, file, at) : { values: {}, file, at: `${at}.contents` };
    values = local.values;
    timers = fromConfig('fastly', values, local.file, (k) => (local.at ? `[${local.at}] ${k}` : k));
  }
  const named = values.ORIGIN_BACKEND;
  if (named) {
    const b = tableAt(toml, [top, 'backends', named], file);
    if (!b) throw new ConfigReadError(file, undefined, `ORIGIN_BACKEND = "${named}" but there is no [${top}.backends.${named}]`);
    for (const [key, field] of [
      ['connectTimeoutMs', 'connect_timeout_ms'],
      ['firstByteTimeoutMs', 'first_byte_timeout_ms'],
      ['betweenBytesTimeoutMs', 'between_bytes_timeout_ms'],
    ] as const) {
      const v = b[field];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ConfigReadError(file, undefined, `[${top}.backends.${named}] ${field} should be a whole number of milliseconds`);
      timers[key] = v;
      timers.sources[key] = { file, field: `[${top}.backends.${named}] ${field}` };
    }
    timers.source += `; named backend ${named}`;
  }
  return timers;
}

/** wrangler.toml `[vars]`, or `vars` of wrangler.json / wrangler.jsonc. */
export function readWranglerConfig(file: string): EdgeTimers {
  const cfg = /\.jsonc?$/.test(file) ? readJsonc(file) : readToml(file);
  const vars = tableAt(cfg, ['vars'], file) ?? {};
  const raw = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, scalar(v, file, `vars.${k}`)]));
  return fromConfig('workers', raw, file, (k) => `[vars] ${k}`);
}
