/**
 * The upstream's scheduler settings: from the Ollama systemd override (Environment= lines) and,
 * when the server answers, from /api/version and /api/ps.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../duration.ts';

export interface OllamaSettings {
  env: Record<string, string>;
  loadTimeoutMs?: number;
  numParallel?: number;
  files: string[];
}

/** `Environment="A=1" "B=2"` and `Environment=A=1` lines of systemd unit files. */
export function parseSystemdEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*Environment\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    for (const tok of m[1]!.match(/"[^"]*"|\S+/g) ?? []) {
      const kv = tok.replace(/^"|"$/g, '');
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  return env;
}

/** Reads a file or every *.conf / *.service / *.env under a directory (later files win, as systemd merges drop-ins). */
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
  const env: Record<string, string> = {};
  for (const f of files) Object.assign(env, parseSystemdEnvironment(readFileSync(f, 'utf8')));
  const out: OllamaSettings = { env, files };
  // Ollama reads OLLAMA_LOAD_TIMEOUT as a Go duration, or a bare number of seconds.
  if (env.OLLAMA_LOAD_TIMEOUT) out.loadTimeoutMs = parseDuration(env.OLLAMA_LOAD_TIMEOUT, 's');
  if (env.OLLAMA_NUM_PARALLEL) out.numParallel = Number(env.OLLAMA_NUM_PARALLEL);
  return out;
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
