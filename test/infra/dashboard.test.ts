import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createOriginMetrics } from '../../origin/metrics/origin-metrics.ts';
import { createRetrievalMetrics } from '../../origin/retrieval/metrics.ts';
import { metricNamesIn } from './helpers.ts';

/** The parts of Grafana's dashboard model that import needs (Grafana itself is not in Debian). */
const gridPos = z.object({ h: z.number().int().positive(), w: z.number().int().min(1).max(24), x: z.number().int().min(0).max(23), y: z.number().int().min(0) });
const target = z.object({ refId: z.string().regex(/^[A-Z]$/), expr: z.string().min(1), legendFormat: z.string().optional() });
const panel = z.discriminatedUnion('type', [
  z.object({ type: z.literal('row'), id: z.number().int(), title: z.string().min(1), gridPos, collapsed: z.boolean(), panels: z.array(z.unknown()) }),
  z.object({
    type: z.enum(['timeseries', 'stat']),
    id: z.number().int(),
    title: z.string().min(1),
    gridPos,
    datasource: z.object({ type: z.literal('prometheus'), uid: z.string() }),
    fieldConfig: z.object({ defaults: z.object({ unit: z.string() }) }),
    targets: z.array(target).min(1),
  }),
]);
const dashboard = z.object({
  uid: z.string().min(1).max(40),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(30),
  time: z.object({ from: z.string(), to: z.string() }),
  templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string() })) }),
  panels: z.array(panel).min(10),
});

const raw = JSON.parse(readFileSync('infra/grafana/puerta-origin.json', 'utf8')) as unknown;

describe('Grafana dashboard JSON', () => {
  const d = dashboard.parse(raw);

  it('has the structure Grafana imports: unique ids, a 24-column grid without overlaps', () => {
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of d.panels) {
      expect(p.gridPos.x + p.gridPos.w, `${p.title} fits in 24 columns`).toBeLessThanOrEqual(24);
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          const k = `${x},${y}`;
          expect(cells.has(k), `${p.title} overlaps another panel at ${k}`).toBe(false);
          cells.add(k);
        }
      }
    }
    // The datasource variable every panel refers to is defined.
    expect(d.templating.list.map((v) => v.name)).toContain('datasource');
  });

  it('covers what on-call needs and only queries metrics the origin exports', async () => {
    // The origin's metrics and those of its optional retrieval stage, in one registry as at run time.
    const { registry } = createOriginMetrics({ defaultMetrics: false });
    createRetrievalMetrics(registry);
    const exported = new Set((await registry.getMetricsAsJSON()).map((x) => x.name));
    const exprs = d.panels.flatMap((p) => (p.type === 'row' ? [] : p.targets.map((t) => t.expr)));
    const used = new Set(exprs.flatMap(metricNamesIn));
    for (const n of used) expect(exported.has(n), `${n} is exported`).toBe(true);
    // Every metric the origin exports has a panel.
    for (const n of exported) expect(used.has(n), `a panel shows ${n}`).toBe(true);
    const titles = d.panels.map((p) => p.title).join('\n');
    for (const t of ['TTFT', 'Queue depth', 'Error rate', 'GPU memory headroom', 'Restarts', 'Audit sink failures', 'Retrieval latency', 'Request phases', 'Prompt tokens']) expect(titles).toContain(t);
  });
});
