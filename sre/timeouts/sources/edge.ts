/**
 * The edge's timers as deployed: the config store items in fastly.toml (or wrangler's vars) over
 * the defaults in edge/config.ts, read with the edge's own zod schema so a value the edge would
 * refuse is refused here too.
 */
import { readFileSync } from 'node:fs';
import { parseEdgeConfig } from '../../../edge/config.ts';
import { getIn, parseTomlLite, type TomlTable } from './toml-lite.ts';

export interface EdgeTimers {
  platform: 'fastly' | 'workers';
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  betweenBytesTimeoutMs: number;
  source: string;
}

function stringMap(t: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof t !== 'object' || t === null) return out;
  for (const [k, v] of Object.entries(t)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    // fastly.toml [setup.config_stores.X.items.KEY] value = "..."
    else if (typeof v === 'object' && v && 'value' in v) out[k] = String((v as TomlTable).value);
  }
  return out;
}

function fromConfig(platform: EdgeTimers['platform'], raw: Record<string, string>, source: string): EdgeTimers {
  // ORIGIN_URL is required by the edge but irrelevant to timeouts; a placeholder keeps parsing strict elsewhere.
  const cfg = parseEdgeConfig({ ORIGIN_URL: 'https://origin.invalid', ...raw });
  return {
    platform,
    connectTimeoutMs: cfg.CONNECT_TIMEOUT_MS,
    firstByteTimeoutMs: cfg.FIRST_BYTE_TIMEOUT_MS,
    betweenBytesTimeoutMs: cfg.BETWEEN_BYTES_TIMEOUT_MS,
    source,
  };
}

/**
 * `section`: `setup` is what `fastly compute deploy` provisions (production), `local` is what
 * Viceroy runs. With ORIGIN_BACKEND set, the named backend's own timeouts apply instead.
 */
export function readFastlyToml(path: string, section: 'setup' | 'local' = 'setup'): EdgeTimers {
  const toml = parseTomlLite(readFileSync(path, 'utf8'));
  const store =
    section === 'setup'
      ? getIn(toml, ['setup', 'config_stores', 'puerta_config', 'items'])
      : getIn(toml, ['local_server', 'config_stores', 'puerta_config', 'contents']);
  const raw = stringMap(store);
  const timers = fromConfig('fastly', raw, `${path} [${section === 'setup' ? 'setup' : 'local_server'}.config_stores.puerta_config] over edge/config.ts defaults`);
  const backendName = raw.ORIGIN_BACKEND;
  if (backendName) {
    const b = getIn(toml, [section === 'setup' ? 'setup' : 'local_server', 'backends', backendName]);
    const num = (k: string) => (typeof b === 'object' && typeof b[k] === 'number' ? (b[k] as number) : undefined);
    timers.connectTimeoutMs = num('connect_timeout_ms') ?? timers.connectTimeoutMs;
    timers.firstByteTimeoutMs = num('first_byte_timeout_ms') ?? timers.firstByteTimeoutMs;
    timers.betweenBytesTimeoutMs = num('between_bytes_timeout_ms') ?? timers.betweenBytesTimeoutMs;
    timers.source += `; named backend ${backendName}`;
  }
  return timers;
}

/** wrangler.toml `[vars]`, or `vars` of wrangler.json / wrangler.jsonc. */
export function readWranglerConfig(path: string): EdgeTimers {
  const text = readFileSync(path, 'utf8');
  let vars: unknown;
  if (/\.jsonc?$/.test(path)) {
    const json = JSON.parse(text.replace(/^\s*\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '').replace(/,(\s*[}\]])/g, '$1')) as { vars?: unknown };
    vars = json.vars;
  } else {
    vars = getIn(parseTomlLite(text), ['vars']);
  }
  return fromConfig('workers', stringMap(vars), `${path} [vars] over edge/config.ts defaults`);
}
