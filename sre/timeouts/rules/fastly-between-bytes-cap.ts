import { fmtDuration as d } from '../duration.ts';
import type { Rule } from '../finding.ts';

/** Fastly enforces at most 60 s between bytes when a request is relayed between its own nodes. */
export const FASTLY_CLUSTER_BETWEEN_BYTES_CAP_MS = 60_000;

export const fastlyBetweenBytesCap: Rule = {
  id: 'fastly-between-bytes-cap',
  title: "Fastly shielding/clustering caps between-bytes at 60 s",
  check(l) {
    const e = l.edge;
    if (!e || e.platform !== 'fastly') return [];
    const cap = FASTLY_CLUSTER_BETWEEN_BYTES_CAP_MS;
    if (!e.shielding) {
      return [
        {
          rule: this.id,
          hop: 'edge → origin',
          setting: 'fastly BETWEEN_BYTES_TIMEOUT_MS',
          valueMs: e.betweenBytesTimeoutMs,
          requirement: `≤ ${d(cap)} only with shielding/clustering`,
          pass: true,
          note: 'no shielding declared (--shielding if the service uses it): the cap does not apply',
        },
      ];
    }
    const ok = e.betweenBytesTimeoutMs <= cap && l.origin.keepaliveMs < cap;
    return [
      {
        rule: this.id,
        hop: 'edge → origin',
        setting: 'fastly BETWEEN_BYTES_TIMEOUT_MS',
        valueMs: e.betweenBytesTimeoutMs,
        requirement: `≤ ${d(cap)} (shielding), keepalive ${d(l.origin.keepaliveMs)} below it`,
        pass: ok,
        note: ok
          ? 'within what Fastly enforces between its nodes'
          : `set BETWEEN_BYTES_TIMEOUT_MS ≤ 60000 in the puerta_config store (Fastly ignores more when shielding) and stream.keepaliveMs well below it`,
      },
    ];
  },
};
