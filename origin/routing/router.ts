import type { Logger } from 'pino';
import { errors, PuertaError } from '../../shared/errors.ts';
import type { UpstreamCall } from '../core/upstream.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { EngineLoad } from '../upstream/engine-load.ts';
import type { UpstreamPoller } from '../upstream/poller.ts';
import type { ResolvedModel, UpstreamRegistry } from '../upstream/registry.ts';
import type { Persona, RoutingConfig } from './config.ts';
import type { AffinityStore } from './affinity-store.ts';
import { staysHome } from './affinity.ts';
import type { EngineMeasures } from './engine-measures.ts';
import { HealthTracker } from './health.ts';
import { injectIntoBody } from './inject.ts';
import { loadModel, WarmModels } from './warm.ts';
import { DemandWarmer } from './demand-warm.ts';

export interface RoutedModel extends ResolvedModel {
  persona?: Persona;
  pinned?: boolean;
}

/**
 * A measured service time as a band 25% wide: engines within noise of each other tie (and keep
 * their order); one clearly faster comes first.
 */
function serviceBand(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(Math.log(Math.max(1, ms)) / Math.log(1.25));
}

/** A conversation's cache is per model: a turn of another model (a persona, a RAG question's embedding) is placed on its own. */
const affinityKey = (session: string, model: string) => `${session}/${model}`;

/** How a request with a known conversation was routed (counted for /admin and metrics). */
export type AffinityOutcome = 'kept' | 'rebalanced' | 'new';

export interface RouterOptions {
  /** Where each conversation's last turn went (absent: routing.affinity.enabled is false). */
  affinity?: AffinityStore;
  /** What the front door measures of each engine (origin/routing/engine-measures.ts). */
  measures?: EngineMeasures;
}

/** Failures that say the replica itself is in trouble (not the request): these count to ejection. */
function replicaFault(err: unknown): boolean {
  if (!(err instanceof PuertaError) || !err.upstream) return false;
  return err.upstream !== 'rejected' && err.upstream !== 'cancelled' && err.status >= 500;
}

/**
 * Routing by public model name: aliases (personas) first, then the upstreams serving the model,
 * healthy ones only (all of them when none is healthy: better a try than a certain failure),
 * least loaded first (requests in flight, or admitted and queued for it in this origin).
 */
export class Router {
  readonly health: HealthTracker;
  readonly warm: WarmModels;
  /** Models loaded by recent demand (absent unless routing.demandWarm.enabled). */
  readonly demand: DemandWarmer | undefined;
  private readonly pinned: RoutingConfig['pinned'];
  /** affine: affinity is on and there is more than one engine to keep a conversation on. */
  private readonly keyed: boolean;
  /** Upstreams an operator is draining (origin/console/): no new requests there, open streams run on. */
  private drained: ReadonlySet<string> = new Set();
  /** What each engine last said of its own load (its /metrics, where configured). */
  private readonly engines = new Map<string, EngineLoad>();

  constructor(
    private readonly cfg: RoutingConfig,
    private readonly registry: UpstreamRegistry,
    log: Logger,
    private readonly load: (upstream: string, model: string) => number = () => 0,
    private readonly opts: RouterOptions = {},
  ) {
    this.health = new HealthTracker(cfg.health, log);
    this.pinned = cfg.pinned;
    this.keyed = opts.affinity !== undefined && registry.upstreams.length > 1;
    this.warm = new WarmModels(registry, log);
    this.demand = cfg.demandWarm.enabled
      ? new DemandWarmer(cfg.demandWarm, { candidates: (m) => registry.candidates(m), load: loadModel, available: (name) => this.health.available(name, Date.now()) && !this.drained.has(name) }, log)
      : undefined;
    for (const [name, p] of Object.entries(cfg.aliases)) {
      if (p.upstream && !registry.upstreams.some((u) => u.name === p.upstream)) {
        throw new Error(`routing.aliases.${name}.upstream = "${p.upstream}": no such upstream (configured: ${registry.upstreams.map((u) => u.name).join(', ')})`);
      }
    }
  }

  /** Takes active health from the upstream poller's results, and loads the pinned models (in the background). */
  start(poller: UpstreamPoller): void {
    poller.onResult((r) => {
      this.health.checked(r.upstream.name, r.ok, r.ok ? undefined : r.error);
      if (r.ok && r.engine) this.engines.set(r.upstream.name, r.engine);
      else this.engines.delete(r.upstream.name);
    });
    if (this.pinned.length > 0) void this.warm.warmAll(this.pinned);
    if (this.demand) {
      const demand = this.demand;
      poller.onResult((r) => demand.polled(r));
      demand.start();
    }
  }

  close(): void {
    this.demand?.stop();
  }

  isPinned(upstream: UpstreamClient, model: string): boolean {
    for (const p of this.pinned) {
      if (p.upstream !== undefined && p.upstream !== upstream.name) continue;
      if (p.model === model || upstream.dialect.canonicalModel(p.model) === model) return true;
    }
    return false;
  }

  setDrained(names: Iterable<string>): void {
    this.drained = new Set(names);
  }

  isDrained(name: string): boolean {
    return this.drained.has(name);
  }

  private routed(c: ResolvedModel, persona: Persona | undefined): RoutedModel {
    const pinned = this.pinned.length > 0 && this.isPinned(c.upstream, c.upstreamModel);
    // Literals, not a spread of `c`: made per request.
    const { upstream, upstreamModel } = c;
    return persona ? { upstream, upstreamModel, persona, pinned } : { upstream, upstreamModel, pinned };
  }

  persona(name: string): Persona | undefined {
    return Object.hasOwn(this.cfg.aliases, name) ? this.cfg.aliases[name] : undefined;
  }

  /**
   * The upstreams to try, best first. With `session` (a conversation's digest, and its prompt's
   * estimated size) and affinity on, the engine that served its last turn comes first while it
   * is healthy and not much busier than the least loaded (affinity.ts: staysHome): its KV cache
   * already holds the conversation, so only the new turn is prefilled there.
   */
  /**
   * candidates() without an await, where the registry answers from the lists it holds and one
   * engine serves the model (the common case: nothing to rank, no conversation to keep on one);
   * undefined where candidates() must ask or rank.
   */
  candidatesNow(model: string): RoutedModel[] | undefined {
    const persona = this.persona(model);
    const found = this.registry.candidatesNow(persona ? persona.model : model);
    if (found === undefined) return undefined;
    const usable = this.usable(found, model, persona);
    return usable.length === 1 ? [this.routed(usable[0]!, persona)] : undefined;
  }

  /** Of the upstreams serving a model, those routing may use now: the alias's own, none drained. */
  private usable(found: ResolvedModel[], model: string, persona: Persona | undefined): ResolvedModel[] {
    if (persona?.upstream) {
      found = found.filter((c) => c.upstream.name === persona.upstream);
      if (found.length === 0) throw errors.modelNotFound(model);
    }
    if (this.drained.size > 0 && found.length > 0) {
      found = found.filter((c) => !this.drained.has(c.upstream.name));
      if (found.length === 0) throw errors.upstreamUnavailable(`every upstream serving '${model}' is being drained by an operator; retry shortly`, 30);
    }
    return found;
  }

  async candidates(model: string, session?: { key: string; promptTokens?: number | undefined }): Promise<RoutedModel[]> {
    const persona = this.persona(model);
    const found = this.usable(await this.registry.candidates(persona ? persona.model : model), model, persona);
    // One engine serves it (the common case): nothing to rank, no conversation to keep on one.
    if (found.length === 1) return [this.routed(found[0]!, persona)];
    const now = Date.now();
    const healthy = found.filter((c) => this.health.available(c.upstream.name, now));
    const pick = healthy.length > 0 ? healthy : found;
    const scored = pick.map((c) => {
      const engine = this.engines.get(c.upstream.name);
      const measured = this.opts.measures?.get(c.upstream.name, c.upstreamModel);
      return {
        c: this.routed(c, persona),
        // Requests queued inside the engine (other gateways' too) wait as surely as ours do.
        load: Math.max(c.upstream.outstanding, this.load(c.upstream.name, c.upstreamModel)) + (engine?.waiting ?? 0),
        // Equal queues: the engine with more KV cache free takes a long prompt without preempting.
        kv: engine?.kvCacheUsage ?? 0,
        // Then the engine measured to serve this model faster (unmeasured: no preference).
        service: serviceBand(measured?.serviceMs),
        serviceMs: measured?.serviceMs,
        prefillTokensPerSecond: measured?.prefillTokensPerSecond,
      };
    });
    // An engine not yet measured cannot be compared: then no engine is preferred for speed.
    if (scored.some((s) => s.service === undefined)) for (const s of scored) s.service = 0;
    scored.sort((a, b) => a.load - b.load || a.kv - b.kv || a.service! - b.service!);
    if (session !== undefined && this.opts.affinity && scored.length > 1) {
      const last = await this.opts.affinity.get(affinityKey(session.key, model));
      const i = last === undefined ? -1 : scored.findIndex((s) => s.c.upstream.name === last);
      let outcome: AffinityOutcome = 'new';
      if (i === 0) outcome = 'kept';
      else if (i > 0 && staysHome(scored[i]!, scored[0]!, this.cfg.affinity.slack, session.promptTokens)) {
        scored.unshift(...scored.splice(i, 1));
        outcome = 'kept';
      } else if (last !== undefined) outcome = 'rebalanced';
      this.affinityCounts[outcome]++;
      for (const l of this.affinityListeners) l(outcome);
    }
    return scored.map((s) => s.c);
  }

  /** Routing decisions of requests that named a conversation, since start (for /admin). */
  readonly affinityCounts: Record<AffinityOutcome, number> = { kept: 0, rebalanced: 0, new: 0 };
  private readonly affinityListeners: Array<(outcome: AffinityOutcome) => void> = [];

  /** Hears each routing decision of a request that named a conversation (metrics). */
  onAffinity(listener: (outcome: AffinityOutcome) => void): void {
    this.affinityListeners.push(listener);
  }

  /** The conversation's turn of `model` is being served by `upstream`: its next turn should follow it there. */
  served(session: string | undefined, model: string, upstream: UpstreamClient): void {
    if (session !== undefined) this.opts.affinity?.set(affinityKey(session, model), upstream.name);
  }

  /** What the front door has measured of each engine and model. */
  get measures(): EngineMeasures | undefined {
    return this.opts.measures;
  }

  /**
   * Whether requests should be keyed by conversation at all: only where affinity is on and more
   * than one engine is configured. With one, every turn goes to it whatever was stored, so the
   * key (a digest of the conversation's lead) and the store's write would be work for nothing.
   */
  get affine(): boolean {
    return this.keyed;
  }

  /** The upstream call with the persona and pinned keep_alive applied. */
  prepare(target: RoutedModel, call: UpstreamCall): UpstreamCall {
    if (!target.persona && !target.pinned) return call;
    if (call.method !== 'POST') return call;
    return { ...call, body: injectIntoBody(call.body, call.shape, target.upstream.dialect, target.persona, target.pinned === true) };
  }

  succeeded(u: UpstreamClient): void {
    this.health.succeeded(u.name);
  }

  failed(u: UpstreamClient, err: unknown): void {
    // logMessage: an engine's own error text (which may echo a prompt) never reaches logs or /admin.
    if (replicaFault(err)) this.health.failed(u.name, err instanceof PuertaError ? err.logMessage : ((err as Error)?.message ?? String(err)));
  }

  /** An alias, or a model an upstream last listed (no discovery: see UpstreamRegistry.listed). */
  knows(model: string): boolean {
    const persona = this.persona(model);
    return persona !== undefined || this.registry.listed(model);
  }

  aliasNames(): string[] {
    return Object.keys(this.cfg.aliases);
  }

  /** The engine's own last reported load, where it reports one. */
  engineLoad(upstream: string): EngineLoad | undefined {
    return this.engines.get(upstream);
  }

  snapshot() {
    return {
      upstreams: this.health.snapshot(this.registry.upstreams.map((u) => u.name)),
      engines: Object.fromEntries(this.engines),
      aliases: this.cfg.aliases,
      pinned: this.warm.results(),
      drained: [...this.drained],
      affinity: this.opts.affinity ? { ...this.affinityCounts } : null,
      demandWarm: this.demand ? { wanted: this.demand.wanted(), loads: this.demand.loads } : null,
    };
  }
}
