import type { NowView } from '../live/types.ts';
import { CONSOLE_PATH } from '../session.ts';
import { ms } from './layout.tsx';

const age = (since: number, now: number) => `${((now - since) / 1000).toFixed(1)} s`;

/** The live part of "Now", rendered here and sent whole over the event stream on every change. */
export function NowFragment({ view }: { view: NowView }) {
  const streams = view.replicas.flatMap((r) => r.streams).sort((a, b) => a.since - b.since);
  const byKey = new Map<string, { tenant: string; model: string; queued: number; streaming: number }>();
  for (const s of streams) {
    const k = `${s.tenant}\u0000${s.model ?? ''}`;
    const e = byKey.get(k) ?? { tenant: s.tenant, model: s.model ?? '–', queued: 0, streaming: 0 };
    if (s.state === 'queued') e.queued++;
    else e.streaming++;
    byKey.set(k, e);
  }
  return (
    <div>
      <p class="hint">
        {view.scope === 'redis' ? `${view.replicas.length} replica(s) sharing Redis` : 'this replica only (no shared Redis)'} · {streams.length} stream(s) in flight · updated{' '}
        {new Date(view.at).toISOString().slice(11, 19)} UTC
      </p>
      <h2>Who is using which model</h2>
      <table id="now-by-tenant">
        <thead>
          <tr><th>Tenant</th><th>Model</th><th>Streaming</th><th>Queued</th></tr>
        </thead>
        <tbody>
          {[...byKey.values()].map((e) => (
            <tr data-tenant={e.tenant} data-model={e.model}>
              <td>{e.tenant}</td><td>{e.model}</td><td>{e.streaming}</td><td>{e.queued}</td>
            </tr>
          ))}
          {byKey.size === 0 ? <tr class="empty"><td colspan={4}>nothing in flight</td></tr> : null}
        </tbody>
      </table>
      <h2>Streams</h2>
      <table id="now-streams">
        <thead>
          <tr><th>Request</th><th>Replica</th><th>Tenant</th><th>Model</th><th>Route</th><th>State</th><th>Age</th><th>Upstream</th></tr>
        </thead>
        <tbody>
          {streams.map((s) => (
            <tr data-request={s.id}>
              <td><code>{s.id}</code></td><td>{s.replica}</td><td>{s.tenant}</td><td>{s.model ?? '–'}</td><td>{s.route}</td><td>{s.state}</td><td>{age(s.since, view.at)}</td><td>{s.upstream ?? '–'}</td>
            </tr>
          ))}
          {streams.length === 0 ? <tr class="empty"><td colspan={8}>no streams</td></tr> : null}
        </tbody>
      </table>
      <h2>Engine slots</h2>
      <table>
        <thead>
          <tr><th>Replica</th><th>Upstream</th><th>Model</th><th>Used</th><th>Free</th><th>Queued</th><th>Scope</th></tr>
        </thead>
        <tbody>
          {view.replicas.flatMap((r) =>
            r.slots.map((g) => (
              <tr>
                <td>{r.replica}</td><td>{g.upstream}</td><td>{g.model}</td><td>{g.active}</td><td>{Math.max(0, g.limit - g.active)}</td><td>{g.queued}</td><td>{g.scope}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
      <h2>Last {Math.round((view.replicas[0]?.stats.windowS ?? 300) / 60)} minutes, per replica</h2>
      <table>
        <thead>
          <tr><th>Replica</th><th>Streams</th><th>TTFT p50</th><th>TTFT p95</th><th>Per token p50</th><th>Per token p95</th><th>Tokens/s</th><th>Errors</th></tr>
        </thead>
        <tbody>
          {view.replicas.map((r) => (
            <tr>
              <td>{r.replica}</td><td>{r.stats.streams}</td><td>{ms(r.stats.ttftP50)}</td><td>{ms(r.stats.ttftP95)}</td><td>{ms(r.stats.tpotP50)}</td><td>{ms(r.stats.tpotP95)}</td>
              <td>{r.stats.tokensPerS.toFixed(1)}</td>
              <td>{Object.entries(r.stats.errors).map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function NowPage({ view }: { view: NowView }) {
  return (
    <div id="now" data-sse={`${CONSOLE_PATH}/events/now`}>
      <NowFragment view={view} />
    </div>
  );
}
