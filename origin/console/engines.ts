import { PuertaError } from '../../shared/errors.ts';
import type { EngineFigures } from '../routing/engine-measures.ts';
import type { UpstreamHealthState } from '../routing/health.ts';
import { loadModel } from '../routing/warm.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { EngineLoad } from '../upstream/engine-load.ts';

/** One loaded model as /api/ps reports it: name and figures only. */
export interface LoadedModel {
  name: string;
  sizeBytes: number;
  vramBytes: number;
  /** When the engine unloads it if idle (ISO time); null when it stays (keep_alive -1). */
  expiresAt: string | null;
}

export interface EngineState {
  name: string;
  kind: string;
  url: string;
  healthy: boolean | null;
  ejected: boolean;
  version: string | null;
  /** Whether the engine can load and unload models on request (Ollama's keep_alive). */
  managesModels: boolean;
  loaded: LoadedModel[];
  /** The box's GPU memory as configured (GPU_MEMORY_BYTES; Ollama does not report it), or null. */
  gpuMemoryBytes: number | null;
  /** Why the engine could not be asked: an error code, never the engine's own text. */
  error: string | null;
  /** What the engine's own /metrics last said of its load (vLLM's names; `metricsPath`), or null. */
  reported: EngineLoad | null;
  /** What the origin has measured of each model on this engine (origin/routing/engine-measures.ts). */
  measured: Array<{ model: string } & EngineFigures>;
}

interface PsDoc {
  models?: Array<{ name?: string; model?: string; size?: number; size_vram?: number; expires_at?: string }>;
}

const codeOf = (err: unknown) => (err instanceof PuertaError ? err.code : 'upstream_unreachable');

/** Far-future expiries are how Ollama says "kept loaded" (keep_alive -1). */
const expiry = (s: string | undefined) => (!s || Date.parse(s) > Date.now() + 365 * 86_400_000 ? null : s);

/** Each upstream's health, version and loaded models (/api/version, /api/ps), asked in parallel. */
export async function engineStates(
  upstreams: readonly UpstreamClient[],
  health: readonly UpstreamHealthState[],
  gpuMemory: Record<string, number> = {},
  reported: (upstream: string) => EngineLoad | undefined = () => undefined,
  measured: (upstream: string) => Array<{ model: string } & EngineFigures> = () => [],
): Promise<EngineState[]> {
  return Promise.all(
    upstreams.map(async (u) => {
      const h = health.find((x) => x.name === u.name);
      const s: EngineState = {
        name: u.name,
        kind: u.cfg.kind,
        url: u.cfg.url,
        healthy: h ? h.healthy : null,
        ejected: h ? h.ejectedUntil > Date.now() : false,
        version: null,
        managesModels: u.dialect.warms,
        loaded: [],
        gpuMemoryBytes: gpuMemory[u.name] ?? gpuMemory['*'] ?? null,
        error: null,
        reported: reported(u.name) ?? null,
        measured: measured(u.name),
      };
      if (!u.dialect.warms) return s;
      const signal = AbortSignal.timeout(u.cfg.metadataTimeoutMs);
      try {
        const [v, ps] = await Promise.all([u.json<{ version?: string }>('GET', '/api/version', undefined, signal), u.json<PsDoc>('GET', '/api/ps', undefined, signal)]);
        s.version = typeof v.version === 'string' ? v.version : null;
        s.loaded = (ps.models ?? []).map((m) => ({ name: m.name ?? m.model ?? '?', sizeBytes: m.size ?? 0, vramBytes: m.size_vram ?? 0, expiresAt: expiry(m.expires_at) }));
      } catch (err) {
        s.error = codeOf(err);
      }
      return s;
    }),
  );
}

/** Asks the engine to load (`warm`) or unload a model now (origin/routing/warm.ts: loadModel). */
export async function setModelLoaded(u: UpstreamClient, model: string, load: boolean): Promise<void> {
  if (!u.dialect.warms) throw new Error(`upstream '${u.name}' (${u.cfg.kind}) does not load or unload models on request`);
  const signal = AbortSignal.timeout(load ? u.cfg.firstByteTimeoutMs : u.cfg.metadataTimeoutMs);
  // A load says how long explicitly: the upstream's configured keep_alive, else Ollama's default.
  await loadModel(u, model, load ? (u.cfg.keepAlive ?? '5m') : 0, signal);
}
