import { PuertaError } from '../../shared/errors.ts';
import type { UpstreamClient, OpenedResponse } from '../upstream/client.ts';
import type { ResolvedModel } from '../upstream/registry.ts';
import type { BodyShape } from '../../shared/routes.ts';
import type { UpstreamDialect } from '../dialects/upstream/dialect.ts';
import { sessionFromBody } from '../routing/session-key.ts';
import type { PriorityClass, QueueProbe } from './admission.ts';
import type { OriginDeps } from './deps.ts';
import type { RequestRecord } from './record.ts';

export interface OpenedUpstream {
  upstream: UpstreamClient;
  upstreamModel: string;
  res: OpenedResponse;
  /** Gives the admission slot back; call when the upstream response has ended. */
  release: () => void;
}

export interface UpstreamCall {
  method: 'GET' | 'POST';
  path: string;
  body: string;
  /** What a persona may inject into the body (the route's, or what the upstream dialect built). */
  shape: BodyShape;
}

export interface OpenOptions {
  model: string;
  priority: PriorityClass;
  /** The one wire this route can be served on (a native route relayed as is); any when absent. */
  wire?: UpstreamDialect['wire'];
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
export async function openUpstream(deps: OriginDeps, rec: RequestRecord, opts: OpenOptions, signal: AbortSignal, probe?: QueueProbe): Promise<OpenedUpstream> {
  // The conversation (a digest), when the router keeps conversations on the engine holding their cache.
  if (deps.router?.affine && rec.routeEntry?.metered === 'generation') rec.session ??= sessionFromBody(rec.tenant.id, rec.requestBody);
  // The router (aliases, health, ejection, affinity) when configured; the registry alone otherwise.
  // The prompt's size before the engine counts it: about four bytes a token (dialects/prompt-estimate.ts).
  const session = rec.session === undefined ? undefined : { key: rec.session, promptTokens: Math.ceil(rec.bytesIn / 4) };
  let candidates = await (deps.router ? deps.router.candidates(opts.model, session) : deps.registry.candidates(opts.model));
  if (opts.wire) {
    const usable = candidates.filter((c) => c.upstream.dialect.wire === opts.wire);
    if (usable.length === 0) {
      throw new PuertaError({
        status: 400,
        type: 'invalid_request_error',
        code: 'route_not_supported',
        param: 'model',
        message: `model '${opts.model}' is served by an OpenAI-compatible upstream, which has no Ollama-native API; use the /v1 routes for it`,
        retryable: false,
      });
    }
    candidates = usable;
  }
  let lastErr: unknown;
  for (const target of candidates.slice(0, 2)) {
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
      ...(probe ? { probe } : {}),
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
