import { PuertaError } from '../../shared/errors.ts';
import type { PriorityClass } from '../core/admission.ts';
import { openUpstream, type UpstreamOpening } from '../pipeline/open-upstream.ts';
import type { RequestRecord } from '../core/record.ts';
import type { TenantContext } from '../core/env.ts';

export interface EmbedResult {
  vectors: Float32Array[];
  /** Waiting for an engine slot. */
  queueMs: number;
  /** From admission to the whole answer. */
  embedMs: number;
}

export interface EmbedCall {
  tenant: TenantContext;
  priority: PriorityClass;
  signal: AbortSignal;
}

/** A record of the embedding call alone: routing and admission fill it; nothing else reads it. */
function embedRecord(tenant: TenantContext, priority: PriorityClass): RequestRecord {
  const now = Date.now();
  return { requestId: `embed-${now.toString(36)}`, route: '/api/embed', tenant, stream: false, receivedAt: now, priority, bytesIn: 0, bytesOut: 0, keepalives: 0 };
}

/**
 * Embeddings through the same routing and admission gate as every client request: ingestion asks
 * in the batch class (chat goes first), a question in the class of its chat request.
 */
export class Embedder {
  constructor(
    private readonly deps: UpstreamOpening,
    readonly model: string,
  ) {}

  async embed(texts: readonly string[], call: EmbedCall): Promise<EmbedResult> {
    const rec = embedRecord(call.tenant, call.priority);
    const opened = await openUpstream(
      this.deps,
      rec,
      {
        model: this.model,
        priority: call.priority,
        // The engine's own embeddings call, whichever wire it speaks (origin/upstream/dialects/).
        build: (t) => t.upstream.dialect.embed({ input: [...texts], raw: { input: texts } }, { upstreamModel: t.upstreamModel, cfg: t.upstream.cfg }),
      },
      call.signal,
    );
    try {
      const raw = (await opened.upstream.dialect.embeddings(opened)).vectors;
      if (raw.length !== texts.length) {
        throw new PuertaError({ status: 502, type: 'api_error', code: 'upstream_bad_response', message: `embedding model '${this.model}' answered ${raw.length} vectors for ${texts.length} inputs`, retryable: true });
      }
      const done = Date.now();
      return { vectors: raw.map((v) => Float32Array.from(v)), queueMs: (rec.admittedAt ?? done) - (rec.queuedAt ?? done), embedMs: done - (rec.admittedAt ?? done) };
    } finally {
      opened.release();
      opened.res.body.destroy();
    }
  }
}
