/** The prebound metrics export exactly what prom-client's own metrics export for the same observations. */
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PreboundHistogram } from '../../origin/metrics/prebound-histogram.ts';
import { preboundCounter, preboundGauge } from '../../origin/metrics/prebound-value.ts';

const BUCKETS = [0.05, 0.1, 0.5, 1, 5];
const labelValue = fc.oneof(fc.constantFrom('gpt-oss:20b', '/v1/chat/completions', 'none', ''), fc.string({ maxLength: 12 }));
const value = fc.double({ min: 0, max: 100, noNaN: true });
const op = fc.record({ a: labelValue, b: labelValue, v: value, kind: fc.constantFrom('inc', 'dec', 'set') });

describe('prebound metrics', () => {
  it('print the same Prometheus text as prom-client for any label values and observations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const theirs = new Registry();
        const ours = new Registry();
        const registers = [theirs];
        const h = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['a', 'b'], buckets: BUCKETS, registers });
        const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'], registers });
        const g = new Gauge({ name: 'g', help: 'g', labelNames: ['a', 'b'], registers });
        const ph = new PreboundHistogram('h_seconds', 'h', ['a', 'b'], BUCKETS, ours);
        const pc = preboundCounter('c_total', 'c', ['a', 'b'], ours);
        const pg = preboundGauge('g', 'g', ['a', 'b'], ours);
        for (const { a, b, v, kind } of ops) {
          h.observe({ a, b }, v);
          ph.series(a, b).observe(v);
          c.inc({ a, b }, v);
          pc.series(a, b).inc(v);
          if (kind === 'inc') g.inc({ a, b }, v);
          else if (kind === 'dec') g.dec({ a, b }, v);
          else g.set({ a, b }, v);
          const s = pg.series(a, b);
          if (kind === 'inc') s.inc(v);
          else if (kind === 'dec') s.dec(v);
          else s.set(v);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
        // As JSON text (prom-client's gauge can hold -0, which JSON prints as 0); its histogram samples also carry `exemplar: null`.
        const withoutExemplar = (m: { values: object[] }) => ({ ...m, values: m.values.map((v) => Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'exemplar'))) });
        const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
        expect(json(await ours.getMetricsAsJSON())).toEqual(json((await theirs.getMetricsAsJSON()).map(withoutExemplar)));
      }),
      { numRuns: 200 },
    );
  });

  it('list a series only once something was counted in it, and forget every series on reset', async () => {
    const registry = new Registry();
    const ph = new PreboundHistogram('h_seconds', 'h', ['a'], BUCKETS, registry);
    expect(await registry.metrics()).toBe('# HELP h_seconds h\n# TYPE h_seconds histogram\n');
    ph.series('x').observe(0.2);
    expect(await registry.metrics()).toContain('h_seconds_bucket{le="0.5",a="x"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).toBe('# HELP h_seconds h\n# TYPE h_seconds histogram\n');
  });

  it('keep label sets apart however their values split (one to five labels), as prom-client does', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const names = ['a', 'b', 'c', 'd', 'e'];
    const sets = [
      ['x\u0000y', 'z', '', '', ''],
      ['x', 'y\u0000z', '', '', ''],
      ['x', 'y', 'z', '', ''],
      ['', '', '', '', ''],
      ['x', '', '', '', 'y'],
    ];
    for (let n = 1; n <= 5; n++) {
      const c = new Counter({ name: `c${n}_total`, help: 'c', labelNames: names.slice(0, n), registers: [theirs] });
      const pc = preboundCounter(`c${n}_total`, 'c', names.slice(0, n), ours);
      sets.forEach((values, i) => {
        c.inc(Object.fromEntries(names.slice(0, n).map((k, j) => [k, values[j]!])), i + 1);
        pc.series(...(values.slice(0, n) as [string])).inc(i + 1);
      });
      expect(pc.series(...(sets[0]!.slice(0, n) as [string]))).toBe(pc.series(...(sets[0]!.slice(0, n) as [string])));
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(() => preboundCounter('six_total', 'c', [...names, 'f'], ours)).toThrow(/at most 5 labels/);
  });
});
