import { fmtDuration as d } from '../duration.ts';
import { fullLoadSlowdown } from '../generation.ts';
import type { Finding, Rule } from '../finding.ts';

/**
 * Behind the admission queue, the origin's upstream first-byte timer covers what Ollama does
 * before its first line: a cold load and the prefill of the prompt. Shorter, and every cold start
 * of a big model fails while the GPU keeps loading it.
 */
export const originFirstByteCoversLoad: Rule = {
  id: 'origin-first-byte-covers-load',
  title: 'origin upstream first-byte timeout > model load + prefill of the longest prompt',
  check(l) {
    const slow = fullLoadSlowdown(l);
    const out: Finding[] = [];
    for (const u of l.origin.upstreams) {
      const models = l.models.filter((m) => m.upstream === u.name);
      if (models.length === 0) continue;
      const worst = models
        .map((m) => ({ m, need: m.coldLoadMs + (m.maxInputTokens / m.prefillTokensPerSec) * 1000 * slow }))
        .reduce((a, b) => (b.need > a.need ? b : a));
      const ok = u.firstByteTimeoutMs > worst.need;
      out.push({
        rule: this.id,
        hop: `origin → upstream ${u.name}`,
        setting: 'upstreams[].firstByteTimeoutMs',
        valueMs: u.firstByteTimeoutMs,
        requirement: `> ${worst.m.name} load ${d(worst.m.coldLoadMs)} + prefill ${worst.m.maxInputTokens} tok = ${d(worst.need)}`,
        pass: ok,
        note: ok
          ? `${d(u.firstByteTimeoutMs - worst.need)} headroom`
          : `raise upstreams[${JSON.stringify(u.name)}].firstByteTimeoutMs (UPSTREAM_FIRST_BYTE_TIMEOUT_MS) above ${d(worst.need)}, or preload ${worst.m.name}`,
      });
    }
    return out;
  },
};
