import type { RequestRecord } from '../core/record.ts';

/**
 * `Server-Timing` of the origin's part, set when the response headers go out: time waiting for
 * an engine slot, from admission to the upstream's response headers (scheduling, model load,
 * prefill), and the origin's total until its headers. The edge adds its own entry, so a client
 * (or browser devtools) sees edge vs origin vs engine time. A retrieval alias adds its retrieval
 * and prompt-build time ahead of the queue.
 */
export function serverTiming(rec: RequestRecord, now = Date.now()): string {
  const parts: string[] = [];
  const r = rec.retrieval;
  if (r) {
    parts.push(`retrieval;dur=${r.retrievalMs.toFixed(1)};desc="embed question + vector search"`);
    parts.push(`search;dur=${r.searchMs.toFixed(1)};desc="vector search (part of retrieval)"`);
    parts.push(`prompt;dur=${r.promptBuildMs.toFixed(1)};desc="dedup, top-k, prompt build"`);
  }
  if (rec.admittedAt !== undefined) parts.push(`queue;dur=${rec.admittedAt - (rec.queuedAt ?? rec.admittedAt)};desc="admission wait"`);
  if (rec.upstreamHeadersAt !== undefined && rec.admittedAt !== undefined) {
    parts.push(`upstream;dur=${Math.max(0, rec.upstreamHeadersAt - rec.admittedAt)};desc="upstream first byte"`);
  }
  parts.push(`origin;dur=${now - rec.receivedAt};desc="origin total to headers"`);
  return parts.join(', ');
}
