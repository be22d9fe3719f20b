import { fmtDuration } from '../../../sre/timeouts/duration.ts';
import type { TimeoutChain } from '../timeout-chain.ts';

const W = 320;

/** Log scale from 100 ms to the longest value shown, so seconds and minutes both read. */
function scale(max: number) {
  const lo = Math.log10(100);
  const hi = Math.log10(Math.max(max, 1_000));
  return (ms: number) => Math.max(2, Math.round(((Math.log10(Math.max(ms, 100)) - lo) / (hi - lo)) * W));
}

/**
 * Each hop's limit in order (client defaults, edge, origin, engine) as a bar, the value observed
 * traffic asks for beside it, a cut in red.
 */
export function TimeoutsPage({ chain }: { chain: TimeoutChain | null }) {
  if (!chain) return <p class="error">Metrics are off in this origin (METRICS_ENABLED=false): there is nothing observed to compare the chain with.</p>;
  const max = Math.max(...chain.proposals.flatMap((p) => [p.todayMs, p.proposedMs ?? 0]));
  const x = scale(max);
  return (
    <>
      <p class="hint">
        Observed: {chain.source}. Edge timers: {chain.edgeSource ?? 'not visible from this origin (run npm run check:timeouts where the edge config is)'}. The same facts as{' '}
        <code>npm run check:timeouts -- --from-metrics</code>; the client rows are the common clients' documented defaults (sre/timeouts/clients.ts); bars on a log scale, the grey tick is the value observed traffic asks for (1.5× its p99.9 or worst).
      </p>
      <table id="timeout-chain">
        <thead>
          <tr><th>Hop</th><th>Setting</th><th>Today</th><th>Proposed</th><th>Verdict</th><th></th><th>Evidence</th></tr>
        </thead>
        <tbody>
          {chain.proposals.map((p) => (
            <tr data-hop={p.hop} data-setting={p.setting} data-verdict={p.verdict} class={p.verdict === 'would cut' ? 'cut' : ''}>
              <td>{p.hop}</td>
              <td><code>{p.setting}</code></td>
              <td>{fmtDuration(p.todayMs)}</td>
              <td>{p.proposedMs === undefined ? '–' : fmtDuration(p.proposedMs)}</td>
              <td class={p.verdict === 'would cut' ? 'bad' : p.verdict === 'ok' ? 'ok' : ''}>{p.verdict}</td>
              <td>
                <svg width={W + 4} height="16" role="img" aria-label={`${p.setting}: ${fmtDuration(p.todayMs)}`}>
                  <rect x="0" y="3" width={x(p.todayMs)} height="10" fill={p.verdict === 'would cut' ? '#dc2626' : '#2563eb'} />
                  {p.proposedMs !== undefined ? <rect x={x(p.proposedMs)} y="0" width="3" height="16" fill="#6b7280" /> : null}
                </svg>
              </td>
              <td><small>{p.evidence}</small></td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
