import type { Logger } from 'pino';
import { errors, PuertaError } from '../../shared/errors.ts';
import type { OriginConfig } from '../config/schema.ts';
import { UpstreamClient } from './client.ts';

export interface ModelInfo {
  id: string;
  upstream: string;
  /** Ollama /api/tags entry when the upstream is Ollama (size, digest, details…). */
  raw?: Record<string, unknown>;
}

export interface ResolvedModel {
  upstream: UpstreamClient;
  /** The name the upstream knows the model by. */
  upstreamModel: string;
}

interface ModelCache {
  at: number;
  models: ModelInfo[];
  error?: PuertaError;
}

/** The models an upstream's configuration names (empty: discover them), under their canonical names. */
function configuredModels(u: UpstreamClient): ModelInfo[] {
  return u.cfg.models.map((id) => ({ id: u.dialect.canonicalModel(id), upstream: u.name }));
}

/** The entry of `models` that serves `model` on `u`, by the exact name or the upstream's canonical one. */
function findModel(u: UpstreamClient, models: readonly ModelInfo[], model: string): ModelInfo | undefined {
  const wanted = u.dialect.canonicalModel(model);
  return models.find((m) => m.id === wanted || m.id === model);
}

/**
 * A list older than this that lacks the model asked for is asked again before the model is
 * refused: a model pulled since the last listing should not 404 for up to modelsRefreshMs.
 */
const RELIST_MISSING_AFTER_MS = 1_000;

/** Best candidate first: the fewest outstanding requests. */
function byLoad(found: ResolvedModel[]): ResolvedModel[] {
  return found.length > 1 ? found.sort((a, b) => a.upstream.outstanding - b.upstream.outstanding) : found;
}

/**
 * Knows which upstream serves which model. Lists come from configuration or are discovered
 * (Ollama /api/tags, OpenAI /v1/models) and trusted for `modelsRefreshMs`.
 */
export class UpstreamRegistry {
  readonly upstreams: UpstreamClient[];
  private readonly cache = new Map<string, ModelCache>();
  private readonly inflight = new Map<string, Promise<ModelCache>>();

  constructor(
    private readonly cfg: OriginConfig,
    private readonly log: Logger,
  ) {
    this.upstreams = cfg.upstreams.map((u) => new UpstreamClient(u));
  }

  private async discover(u: UpstreamClient): Promise<ModelCache> {
    if (u.cfg.models.length > 0) return { at: Date.now(), models: configuredModels(u) };
    return this.probe(u);
  }

  /** Asks the upstream for its model list, whatever the configuration says (readiness, discovery). */
  async probe(u: UpstreamClient): Promise<ModelCache> {
    const signal = AbortSignal.timeout(u.cfg.metadataTimeoutMs);
    try {
      const call = u.dialect.listModelsCall;
      const doc = await u.json<unknown>('GET', call.path, undefined, signal);
      return { at: Date.now(), models: call.read(doc).map((m) => ({ ...m, upstream: u.name })) };
    } catch (err) {
      const e =
        err instanceof PuertaError
          ? err
          : errors.upstreamUnavailable(`cannot list models of upstream '${u.name}': ${(err as Error).message}`);
      this.log.warn({ upstream: u.name, err: e.message }, 'model discovery failed');
      return { at: Date.now(), models: [], error: e };
    }
  }

  /** Models of one upstream, refreshed when stale; concurrent callers share one discovery. */
  async modelsOf(u: UpstreamClient, force = false): Promise<ModelCache> {
    const fresh = force ? undefined : this.fresh(u);
    if (fresh) return fresh;
    let p = this.inflight.get(u.name);
    if (!p) {
      p = this.discover(u).finally(() => this.inflight.delete(u.name));
      this.inflight.set(u.name, p);
    }
    const result = await p;
    this.cache.set(u.name, result);
    return result;
  }

  /** The last list of `u` while it is still trusted (what almost every request finds): no discovery, no await. */
  private fresh(u: UpstreamClient): ModelCache | undefined {
    const cached = this.cache.get(u.name);
    return cached && !cached.error && Date.now() - cached.at < this.cfg.modelsRefreshMs ? cached : undefined;
  }

  async allModels(): Promise<{ models: ModelInfo[]; failures: PuertaError[] }> {
    const lists = await Promise.all(this.upstreams.map((u) => this.modelsOf(u)));
    return {
      models: lists.flatMap((l) => l.models),
      failures: lists.flatMap((l) => (l.error ? [l.error] : [])),
    };
  }

  /**
   * Whether a model is in an upstream's last known list, without asking anyone: what decides if
   * a name a client sent may be written to logs, audit and usage (a name nobody serves may carry
   * anything, and each new one would be a new usage key).
   */
  listed(model: string): boolean {
    return this.upstreams.some((u) => findModel(u, this.cache.get(u.name)?.models ?? configuredModels(u), model) !== undefined);
  }

  /**
   * candidates() from the lists already held, without an await: when every upstream's list is
   * fresh and one serves `model` (what nearly every request finds). Undefined where candidates()
   * would ask an upstream (a stale list, a name missing from a list over a second old) or fail.
   */
  candidatesNow(model: string): ResolvedModel[] | undefined {
    const found: ResolvedModel[] = [];
    for (const u of this.upstreams) {
      const list = this.fresh(u);
      if (list === undefined) return undefined;
      const hit = findModel(u, list.models, model);
      if (hit) found.push({ upstream: u, upstreamModel: hit.id });
      else if (Date.now() - list.at > RELIST_MISSING_AFTER_MS) return undefined;
    }
    return found.length === 0 ? undefined : byLoad(found);
  }

  /** Upstreams serving `model`, best candidate first (fewest outstanding requests). */
  async candidates(model: string): Promise<ResolvedModel[]> {
    const now = this.candidatesNow(model);
    if (now !== undefined) return now;
    const found: ResolvedModel[] = [];
    let unreachable: PuertaError | undefined;
    for (const u of this.upstreams) {
      let list = this.fresh(u) ?? (await this.modelsOf(u));
      let hit = findModel(u, list.models, model);
      if (!hit && !list.error && Date.now() - list.at > RELIST_MISSING_AFTER_MS) {
        list = await this.modelsOf(u, true);
        hit = findModel(u, list.models, model);
      }
      if (hit) found.push({ upstream: u, upstreamModel: hit.id });
      else if (list.error) unreachable = list.error;
    }
    if (found.length === 0) {
      if (unreachable) throw unreachable;
      const { models } = await this.allModels();
      throw errors.modelNotFound(model, models.map((m) => m.id));
    }
    return byLoad(found);
  }

  async close(): Promise<void> {
    await Promise.all(this.upstreams.map((u) => u.close()));
  }
}
