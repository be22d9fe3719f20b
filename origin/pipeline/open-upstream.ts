import { PuertaError } from '../../shared/errors.ts';
import type { UpstreamClient, OpenedResponse } from '../upstream/client.ts';
import type { Logger } from 'pino';
import type { ResolvedModel, UpstreamRegistry } from '../upstream/registry.ts';
import type { Router } from '../routing/router.ts';
import type { OpenedUpstream as OpenedEnd, UpstreamCall } from '../core/upstream.ts';
import type { Admission, PriorityClass, QueueProbe } from '../core/admission.ts';
import type { RequestRecord } from '../core/record.ts';
import type { Cancellation } from '../core/cancellation.ts';

/** An opened upstream as the pipeline hands it on: its client (with its dialect) and dispatched response. */
export type OpenedUpstream = OpenedEnd<UpstreamClient, OpenedResponse>;

/** What opening an upstream needs: where a model is served, the admission gates, and a log for retries. */
export interface UpstreamOpening {
  registry: Pick<UpstreamRegistry, 'candidates' | 'candidatesNow'>;
  /** Aliases, health and ejection; without it the registry routes alone. */
  router?: Pick<Router, 'candidates' | 'candidatesNow' | 'prepare' | 'succeeded' | 'failed' | 'served'> | undefined;
  admission: Admission;
  log: Logger;
}

export interface OpenOptions {
  model: string;
  priority: PriorityClass;
  /**
   * For a route only some engines can serve (one relayed as is, with no translation): whether
   * `target` can, and the 400 when no candidate can. Every candidate when absent.
   */
  only?: { serves(target: ResolvedModel): boolean; refusal(model: string): PuertaError };
  /** Engine slots the request occupies (an embedding batch: one per input); 1 when absent. */
  slots?: number;
  build(target: ResolvedModel): UpstreamCall;
}

/** Connection-level failures, where the request cannot have reached the engine: safe to retry. */
function retryableBeforeFirstByte(err: unknown): boolean {
  return err instanceof PuertaError && (err.upstream === 'connect' || err.upstream === 'connect_timeout' || err.upstream === 'reset');
}

/**
 * Routing, admission and the upstream request, up to its response headers. Before the first
 * byte a failed replica is retried once on another healthy one; after it, never (the engine may
 * already have generated, and the client may already have seen, part of the answer).
 */
export async function openUpstream(deps: UpstreamOpening, rec: RequestRecord, opts: OpenOptions, signal: Cancellation, probe?: QueueProbe): Promise<OpenedUpstream> {
  // The router (aliases, health, ejection, affinity) when configured; the registry alone otherwise.
  // The prompt's size before the engine counts it: about four bytes a token (dialects/prompt-estimate.ts).
  // From the lists held, without an await, where that settles it (one engine serves the model).
  let candidates = deps.router ? deps.router.candidatesNow(opts.model) : deps.registry.candidatesNow(opts.model);
  if (candidates === undefined) {
    const session = rec.session === undefined ? undefined : { key: rec.session, promptTokens: Math.ceil(rec.bytesIn / 4) };
    candidates = await (deps.router ? deps.router.candidates(opts.model, session) : deps.registry.candidates(opts.model));
  }
  if (opts.only) {
    const usable = candidates.filter(opts.only.serves);
    if (usable.length === 0) throw opts.only.refusal(opts.model);
    candidates = usable;
  }
  let lastErr: unknown;
  // The best candidate, then one other replica at most.
  for (let i = 0; i < candidates.length && i < 2; i++) {
    const target = candidates[i]!;
    rec.upstream = target.upstream.name;
    rec.upstreamModel = target.upstreamModel;
    // Built before admission: a body the route refuses (a 400) must not hold a slot.
    const call = deps.router ? deps.router.prepare(target, opts.build(target)) : opts.build(target);
    rec.queuedAt ??= Date.now();
    const release = await deps.admission.acquire({
      upstream: target.upstream.name,
      model: target.upstreamModel,
      tenant: rec.tenant,
      priority: rec.priority ?? opts.priority,
      signal,
      slots: opts.slots,
      probe,
      preempt: rec.preempt,
    });
    rec.admittedAt = Date.now();
    try {
      const res = await target.upstream.open(call.method, call.path, call.body, signal, opts.model);
      rec.upstreamHeadersAt = Date.now();
      deps.router?.succeeded(target.upstream);
      deps.router?.served(rec.session, opts.model, target.upstream);
      return { upstream: target.upstream, upstreamModel: target.upstreamModel, res, release };
    } catch (err) {
      release();
      lastErr = err;
      if (!signal.aborted) deps.router?.failed(target.upstream, err);
      if (signal.aborted || !retryableBeforeFirstByte(err)) throw err;
      deps.log.warn({ requestId: rec.requestId, upstream: target.upstream.name, err: (err as Error).message }, 'upstream failed before first byte; trying another replica');
    }
  }
  throw lastErr;
}
