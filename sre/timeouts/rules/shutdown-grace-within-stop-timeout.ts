import { fmtDuration as d } from '../duration.ts';
import type { Rule } from '../finding.ts';

/** Time the origin needs after the grace period: end the streams, write and seal the audit batch. */
const AFTER_GRACE_MS = 10_000;

/**
 * On SIGTERM the origin lets open streams run for its grace period, then ends them and seals the
 * audit file. systemd kills the process at TimeoutStopSec: if that comes first, streams are cut
 * without their error event and the audit file is left unsealed.
 */
export const shutdownGraceWithinStopTimeout: Rule = {
  id: 'shutdown-grace-within-stop-timeout',
  title: 'systemd TimeoutStopSec > origin shutdown grace + 10 s (end streams, seal the audit)',
  check(l) {
    const o = l.origin;
    if (o.stopTimeoutMs === undefined || o.shutdownGraceMs === undefined) return [];
    const need = o.shutdownGraceMs + AFTER_GRACE_MS;
    const ok = o.stopTimeoutMs > need;
    return [
      {
        rule: this.id,
        hop: 'origin',
        setting: 'systemd TimeoutStopSec',
        valueMs: o.stopTimeoutMs,
        requirement: `> SHUTDOWN_GRACE_MS ${d(o.shutdownGraceMs)} + ${d(AFTER_GRACE_MS)} = ${d(need)}`,
        pass: ok,
        note: ok
          ? `${d(o.stopTimeoutMs - need)} headroom`
          : `raise TimeoutStopSec in puerta-origin.service to ${Math.ceil((need + 5_000) / 1000)} or more, or lower SHUTDOWN_GRACE_MS below ${d(o.stopTimeoutMs - AFTER_GRACE_MS)}`,
      },
    ];
  },
};
