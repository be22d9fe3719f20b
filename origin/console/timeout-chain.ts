import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { commonClients } from '../../sre/timeouts/clients.ts';
import { readFastlyToml } from '../../sre/timeouts/sources/edge.ts';
import { propose, type Proposal, type Today } from '../../sre/timeouts/traffic/propose.ts';
import { trafficFromExposition } from '../../sre/timeouts/traffic/read-traffic.ts';
import type { AdmissionConfig } from '../admission/config.ts';

export interface TimeoutChain {
  /** What the observations came from. */
  source: string;
  /** Where the edge's timers came from, or null when this origin cannot see the edge's config. */
  edgeSource: string | null;
  proposals: Proposal[];
}

/**
 * Today's timers of the common clients (their documented defaults, sre/timeouts/clients.ts), of
 * this origin (and of the edge, when its fastly.toml is beside the origin, as in a checkout), and
 * what this origin's own metrics observed: the same proposals and verdicts as
 * `npm run check:timeouts -- --from-metrics <origin>/metrics` (sre/timeouts/traffic/propose.ts).
 */
export function timeoutToday(
  cfg: {
    admission: Pick<AdmissionConfig, 'mode' | 'queueWaitMs' | 'batchQueueWaitMs'>;
    stream: { keepaliveMs: number };
    upstreams: ReadonlyArray<{ name: string; firstByteTimeoutMs: number; idleTimeoutMs: number }>;
  },
  fastlyToml = resolve('fastly.toml'),
): { today: Today; edgeSource: string | null } {
  let edge: Today['edge'];
  let edgeSource: string | null = null;
  if (existsSync(fastlyToml)) {
    try {
      const e = readFastlyToml(fastlyToml, 'setup');
      edge = { platform: e.platform, shielding: false, firstByteTimeoutMs: e.firstByteTimeoutMs, betweenBytesTimeoutMs: e.betweenBytesTimeoutMs };
      edgeSource = `${relative(process.cwd(), fastlyToml) || fastlyToml} (setup)`;
    } catch {
      edgeSource = null;
    }
  }
  const a = cfg.admission;
  const today: Today = {
    clients: commonClients,
    ...(edge ? { edge } : {}),
    keepaliveMs: cfg.stream.keepaliveMs,
    ...(a.mode === 'off' ? {} : { queueWaitMs: Math.max(a.queueWaitMs, a.batchQueueWaitMs ?? 0) }),
    upstreams: cfg.upstreams.map((u) => ({ name: u.name, firstByteTimeoutMs: u.firstByteTimeoutMs, idleTimeoutMs: u.idleTimeoutMs })),
  };
  return { today, edgeSource };
}

export function timeoutChain(metricsText: string, today: Today, edgeSource: string | null): TimeoutChain {
  const traffic = trafficFromExposition(metricsText, 'this origin\'s /metrics');
  return { source: traffic.source, edgeSource, proposals: propose(traffic, today) };
}
