import { fmtDuration as d } from '../duration.ts';
import type { Finding, Rule } from '../finding.ts';

/**
 * When the origin really stalls, the edge must notice first: it ends the stream with a structured
 * error event the client can act on (retryable). If the client's read timer fires first, the user
 * sees a bare socket timeout and the edge keeps the origin busy for nothing.
 */
export const clientIdleAboveEdge: Rule = {
  id: 'client-idle-above-edge',
  title: 'client idle timeout > edge between-bytes timeout',
  check(l) {
    const edge = l.edge;
    if (!edge) return [];
    return l.clients
      .filter((c) => c.kinds.includes('idle'))
      .map<Finding>((c) => ({
        rule: this.id,
        hop: `client (${c.name})`,
        setting: c.setting,
        valueMs: c.timeoutMs,
        requirement: `> edge BETWEEN_BYTES_TIMEOUT_MS ${d(edge.betweenBytesTimeoutMs)}`,
        pass: c.timeoutMs > edge.betweenBytesTimeoutMs,
        note:
          c.timeoutMs > edge.betweenBytesTimeoutMs
            ? 'a stalled origin is reported by the edge as an error event'
            : `lower BETWEEN_BYTES_TIMEOUT_MS below ${d(c.timeoutMs)} (keeping it above the keepalive) or raise ${c.setting}`,
      }));
  },
};
