import { fmtDuration as d } from '../duration.ts';
import type { Rule } from '../finding.ts';

/**
 * One poller serves routing health and the metrics: a poll that may take longer than the period
 * makes rounds overlap, so a slow engine is asked twice as often exactly when it is struggling.
 */
export const healthPollWithinInterval: Rule = {
  id: 'health-poll-within-interval',
  title: 'upstream poll timeout < poll interval',
  check(l) {
    const h = l.origin.health;
    if (!h || h.intervalMs === 0) return [];
    const ok = h.timeoutMs < h.intervalMs;
    return [
      {
        rule: this.id,
        hop: 'origin → upstream',
        setting: 'origin routing.health.timeoutMs',
        valueMs: h.timeoutMs,
        requirement: `< routing.health.intervalMs ${d(h.intervalMs)}`,
        pass: ok,
        note: ok ? 'a poll ends before the next is due' : `lower HEALTH_CHECK_TIMEOUT_MS below ${d(h.intervalMs)} (e.g. ${Math.floor(h.intervalMs / 5)}), or raise HEALTH_CHECK_INTERVAL_MS above ${d(h.timeoutMs)}`,
      },
    ];
  },
};
