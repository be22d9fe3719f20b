/**
 * The upstream's scheduler settings: from the Ollama systemd override (Environment= lines) and,
 * when the server answers, from /api/version and /api/ps.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../duration.ts';
import { shownPath, type Timer } from '../timers.ts';
import { ConfigReadError } from './read-config.ts';
import { environmentOf, parseUnit, readUnit } from './systemd.ts';

export interface OllamaSettings {
  env: Record<string, string>;
  loadTimeoutMs?: number;
  numParallel?: number;
  files: string[];
  timers: Timer[];
}

/** Environment assignments of one unit text (tests and callers that hold the text). */
export function parseSystemdEnvironment(text: string, file = '(text)'): Record<string, string> {
  return Object.fromEntries([...environmentOf(parseUnit(text, file), file)].map(([k, v]) => [k, v.value]));
}

/** Ollama's documented defaults for the timers it reads (envconfig). */
const OLLAMA_TIMERS: ReadonlyArray<{ env: string; bounds: string; defaultMs: number; bare: 's' | 'ms' }> = [
  { env: 'OLLAMA_LOAD_TIMEOUT', bounds: 'a model load that makes no progress', defaultMs: 300_000, bare: 's' },
  { env: 'OLLAMA_KEEP_ALIVE', bounds: 'an idle model stays loaded', defaultMs: 300_000, bare: 's' },
];

/** Reads a file or every *.conf / *.service under a directory (later files win, as systemd merges drop-ins). */
export function readOllamaOverride(path: string): OllamaSettings | undefined {
  if (!existsSync(path)) return undefined;
  const files = statSync(path).isDirectory()
    ? readdirSync(path, { recursive: true })
        .map(String)
        .filter((f) => /\.(conf|service)$/.test(f))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) return undefined;
  const env = new Map<string, { value: string; line: number; file: string }>();
  for (const f of files) for (const [k, v] of environmentOf(readUnit(f), f)) env.set(k, { ...v, file: f });
  const out: OllamaSettings = { env: Object.fromEntries([...env].map(([k, v]) => [k, v.value])), files, timers: [] };
  for (const t of OLLAMA_TIMERS) {
    const set = env.get(t.env);
    let valueMs = t.defaultMs;
    if (set) {
      try {
        // Ollama reads these as a Go duration, or a bare number of seconds; a negative keep-alive means forever.
        valueMs = set.value.startsWith('-') ? Number.POSITIVE_INFINITY : parseDuration(set.value, t.bare);
      } catch (err) {
        throw new ConfigReadError(set.file, set.line, `${t.env}: ${(err as Error).message}`);
      }
    }
    if (t.env === 'OLLAMA_LOAD_TIMEOUT') out.loadTimeoutMs = valueMs;
    if (Number.isFinite(valueMs)) {
      out.timers.push({ hop: 'upstream', setting: t.env, valueMs, bounds: t.bounds, source: set ? `${shownPath(set.file)}:${set.line} Environment ${t.env}` : `default (Ollama ${t.env})` });
    }
  }
  const np = env.get('OLLAMA_NUM_PARALLEL');
  if (np) {
    const n = Number(np.value);
    if (!Number.isInteger(n) || n < 1) throw new ConfigReadError(np.file, np.line, `OLLAMA_NUM_PARALLEL should be a whole number ≥ 1, not ${JSON.stringify(np.value)}`);
    out.numParallel = n;
  }
  return out;
}

/** The origin service's stop timeout (TimeoutStopSec): how long systemd waits after SIGTERM. */
export function readServiceStopTimeout(file: string): { ms: number; source: string } | undefined {
  if (!existsSync(file)) return undefined;
  const entry = readUnit(file).filter((e) => e.section === 'Service' && e.key === 'TimeoutStopSec').pop();
  if (!entry) return { ms: 90_000, source: `default (systemd DefaultTimeoutStopSec; not set in ${file})` };
  try {
    return { ms: parseDuration(entry.value.replace(/\s+/g, ''), 's'), source: `${shownPath(file)}:${entry.line} TimeoutStopSec` };
  } catch (err) {
    throw new ConfigReadError(file, entry.line, `TimeoutStopSec: ${(err as Error).message}`);
  }
}

/** One line about a live Ollama, or undefined when it does not answer within `timeoutMs`. */
export async function probeOllama(url: string, timeoutMs = 1500): Promise<string | undefined> {
  try {
    const get = async (p: string) => {
      const r = await fetch(new URL(p, url), { signal: AbortSignal.timeout(timeoutMs) });
      if (!r.ok) throw new Error(`${p} answered ${r.status}`);
      return (await r.json()) as Record<string, unknown>;
    };
    const v = await get('/api/version');
    const ps = await get('/api/ps');
    const loaded = Array.isArray(ps.models) ? (ps.models as Array<{ name?: string }>).map((m) => m.name).join(', ') : '';
    return `Ollama ${String(v.version)} at ${url}; loaded: ${loaded || 'none'}`;
  } catch {
    return undefined;
  }
}
