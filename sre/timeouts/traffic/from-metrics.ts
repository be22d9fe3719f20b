/** `check:timeouts --from-metrics`: today's timers from the config files (and the common clients' defaults), proposals from observed traffic. */
import { join } from 'node:path';
import { commonClients } from '../clients.ts';
import { fmtDuration } from '../duration.ts';
import { readFastlyToml, readWranglerConfig } from '../sources/edge.ts';
import { readOriginConfig } from '../sources/origin.ts';
import { propose, type Proposal, type Today } from './propose.ts';
import { readTraffic } from './read-traffic.ts';

export interface FromMetricsOptions {
  root: string;
  source: string;
  edge: 'fastly' | 'workers' | 'none';
  shielding: boolean;
  fastlyToml?: string;
  fastlySection?: 'setup' | 'local';
  wrangler?: string;
  originFile?: string;
  originEnv?: NodeJS.ProcessEnv;
  window?: string;
  model?: string;
  token?: string;
}

export async function fromMetrics(o: FromMetricsOptions): Promise<{ source: string; proposals: Proposal[] }> {
  const edge =
    o.edge === 'none'
      ? undefined
      : o.edge === 'fastly'
        ? readFastlyToml(o.fastlyToml ?? join(o.root, 'fastly.toml'), o.fastlySection ?? 'setup')
        : readWranglerConfig(o.wrangler ?? join(o.root, 'infra/wrangler.toml'));
  const origin = readOriginConfig({ env: o.originEnv ?? process.env, ...(o.originFile ? { file: o.originFile } : {}) });
  const today: Today = {
    clients: commonClients,
    ...(edge ? { edge: { platform: edge.platform, shielding: edge.platform === 'fastly' && o.shielding, firstByteTimeoutMs: edge.firstByteTimeoutMs, betweenBytesTimeoutMs: edge.betweenBytesTimeoutMs } } : {}),
    keepaliveMs: origin.keepaliveMs,
    ...(origin.queueWaitMs !== undefined ? { queueWaitMs: origin.queueWaitMs } : {}),
    upstreams: origin.upstreams,
  };
  const traffic = await readTraffic(o.source, { ...(o.window ? { window: o.window } : {}), ...(o.model ? { model: o.model } : {}), ...(o.token ? { token: o.token } : {}) });
  return { source: traffic.source, proposals: propose(traffic, today) };
}

export function formatProposals(r: { source: string; proposals: Proposal[] }): string {
  const rows = r.proposals.map((p) => [p.setting, fmtDuration(p.todayMs), p.proposedMs === undefined ? '—' : fmtDuration(p.proposedMs), p.verdict.toUpperCase(), p.evidence, p.note]);
  const headers = ['timeout', 'today', 'proposed', 'today vs traffic', 'evidence', 'why / fix'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const cut = r.proposals.filter((p) => p.verdict === 'would cut');
  return [
    `timeouts from observed traffic: ${r.source}`,
    '',
    line(headers),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    cut.length === 0 ? 'no timeout of today’s config would have cut the observed requests' : `today’s config would have cut real requests at: ${cut.map((p) => p.setting).join(', ')}`,
  ].join('\n');
}
