/** Plain-text report: one table per layout, hop by hop, then the fixes of what failed. */
import { fmtDuration } from './duration.ts';
import type { CheckResult } from './check.ts';
import { fullLoadSlowdown, longestOverall } from './generation.ts';

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatResult(r: CheckResult): string {
  const l = r.layout;
  const g = longestOverall(l);
  const head = [
    `layout ${l.name}: ${l.description}`,
    `  edge      ${l.edge ? `${l.edge.platform}${l.edge.shielding ? ' (shielding)' : ''}, connect ${fmtDuration(l.edge.connectTimeoutMs)} · ${l.edge.source}` : 'none (clients reach the origin directly)'}`,
    `  origin    keepalive ${fmtDuration(l.origin.keepaliveMs)}, queue wait ${fmtDuration(l.origin.queueWaitMs)} (${l.origin.queueWaitSource}) · ${l.origin.source}`,
    `  upstream  ${l.upstream.loadTimeoutMs !== undefined ? `OLLAMA_LOAD_TIMEOUT ${fmtDuration(l.upstream.loadTimeoutMs)} · ` : ''}${l.upstream.source}${l.upstream.probe ? ` · ${l.upstream.probe}` : ''}`,
    `  workload  ${l.models.map((m) => `${m.name} ×${m.numParallel} (≤${m.maxInputTokens} in, ≤${m.maxOutputTokens} out)`).join(', ')}; full-load slowdown ×${fullLoadSlowdown(l).toFixed(2)}; longest request ${fmtDuration(g.totalMs)} (${g.model})`,
  ];
  const inventory = l.timers.map((t) => [t.hop, t.setting, fmtDuration(t.valueMs), t.bounds, t.source]);
  const rows = r.findings.map((f) => [f.hop, f.setting, fmtDuration(f.valueMs), `${f.requirement}`, f.pass ? 'PASS' : 'FAIL', f.note]);
  const failed = r.findings.filter((f) => !f.pass);
  return [
    ...head,
    ...(inventory.length > 0 ? ['', `every timer of the path (${inventory.length}), with where its value comes from:`, table(['hop', 'setting', 'value', 'bounds', 'source'], inventory)] : []),
    '',
    table(['hop', 'setting', 'value', 'rule', 'result', 'fix / why'], rows),
    '',
    failed.length === 0 ? `${l.name}: all ${r.findings.length} checks pass` : `${l.name}: ${failed.length} of ${r.findings.length} checks FAIL (${[...new Set(failed.map((f) => f.rule))].join(', ')})`,
  ].join('\n');
}
