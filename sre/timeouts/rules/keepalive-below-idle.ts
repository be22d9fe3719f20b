import { fmtDuration as d } from '../duration.ts';
import type { Finding, Rule } from '../finding.ts';

/**
 * The origin's `: keepalive` comment is the only thing that crosses a silent stream (queue wait,
 * model load, long reasoning): every idle / between-bytes timer downstream must be longer than it,
 * or that hop cuts a healthy stream.
 */
export const keepaliveBelowIdle: Rule = {
  id: 'keepalive-below-idle',
  title: 'origin keepalive interval < every idle / between-bytes timeout downstream',
  check(l) {
    const k = l.origin.keepaliveMs;
    const out: Finding[] = [];
    if (l.edge) {
      const bb = l.edge.betweenBytesTimeoutMs;
      out.push({
        rule: this.id,
        hop: 'edge → origin',
        setting: `${l.edge.platform} BETWEEN_BYTES_TIMEOUT_MS`,
        valueMs: bb,
        requirement: `> stream.keepaliveMs ${d(k)}`,
        pass: bb > k,
        note:
          bb > k
            ? `keepalive resets the edge timer ${Math.floor(bb / k)}× per window`
            : `lower stream.keepaliveMs (KEEPALIVE_INTERVAL_MS) below ${d(bb)} (about ${d(Math.floor(bb / 3))}), or raise BETWEEN_BYTES_TIMEOUT_MS`,
      });
    }
    for (const c of l.clients.filter((c) => c.kinds.includes('idle'))) {
      out.push({
        rule: this.id,
        hop: `client (${c.name})`,
        setting: c.setting,
        valueMs: c.timeoutMs,
        requirement: `> stream.keepaliveMs ${d(k)}`,
        pass: c.timeoutMs > k,
        note: c.timeoutMs > k ? 'keepalives keep the client reading' : `lower stream.keepaliveMs below ${d(c.timeoutMs)} or raise ${c.setting}`,
      });
    }
    return out;
  },
};
