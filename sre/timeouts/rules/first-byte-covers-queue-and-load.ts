import { fmtDuration as d } from '../duration.ts';
import type { Rule } from '../finding.ts';

/**
 * A non-streaming request sends nothing back until the answer exists, and a streaming one only
 * commits its headers when the origin answers or the first keepalive is due. The edge's first-byte
 * timer must outlast the worst wait before that: the admission queue limit plus a cold model load.
 */
export const firstByteCoversQueueAndLoad: Rule = {
  id: 'first-byte-covers-queue-and-load',
  title: 'edge first-byte timeout > origin queue wait limit + model load time',
  check(l) {
    const e = l.edge;
    if (!e) return [];
    const slowest = l.models.reduce((a, b) => (b.coldLoadMs > a.coldLoadMs ? b : a));
    const need = l.origin.queueWaitMs + slowest.coldLoadMs;
    const ok = e.firstByteTimeoutMs > need;
    return [
      {
        rule: this.id,
        hop: 'edge → origin',
        setting: `${e.platform} FIRST_BYTE_TIMEOUT_MS`,
        valueMs: e.firstByteTimeoutMs,
        requirement: `> queue wait ${d(l.origin.queueWaitMs)} + ${slowest.name} cold load ${d(slowest.coldLoadMs)} = ${d(need)}`,
        pass: ok,
        note: ok
          ? `${d(e.firstByteTimeoutMs - need)} headroom`
          : `raise FIRST_BYTE_TIMEOUT_MS above ${d(need)} (e.g. ${Math.ceil((need * 1.5) / 1000) * 1000}), or lower the origin's queue wait limit, or keep ${slowest.name} loaded (keep_alive -1)`,
      },
    ];
  },
};
