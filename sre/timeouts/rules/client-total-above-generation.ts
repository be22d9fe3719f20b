import { fmtDuration as d } from '../duration.ts';
import { longestOverall } from '../generation.ts';
import type { Rule } from '../finding.ts';

/**
 * Timers that run for the whole response (Open WebUI's aiohttp total) or until the headers of a
 * non-streaming answer (openai-node) cut the longest generation no matter how many keepalives
 * flow. They must outlast queue wait + cold load + prefill + the longest answer at full load.
 */
export const clientTotalAboveGeneration: Rule = {
  id: 'client-total-above-generation',
  title: 'client total / first-byte timeouts > longest expected generation',
  check(l) {
    const g = longestOverall(l);
    const parts = `queue ${d(g.queueMs)} + load ${d(g.loadMs)} + prefill ${d(g.prefillMs)} + decode ${d(g.decodeMs)}`;
    return l.clients
      .filter((c) => c.kinds.includes('total') || c.kinds.includes('first-byte'))
      .map((c) => {
        const ok = c.timeoutMs > g.totalMs;
        return {
          rule: this.id,
          hop: `client (${c.name})`,
          setting: c.setting,
          valueMs: c.timeoutMs,
          requirement: `> longest ${g.model} request ${d(g.totalMs)} (${parts})`,
          pass: ok,
          note: ok
            ? `${d(c.timeoutMs - g.totalMs)} headroom`
            : `raise ${c.setting} above ${d(g.totalMs)}, or cap max_tokens for ${g.model}, or lower the queue wait limit / concurrency`,
        };
      });
  },
};
