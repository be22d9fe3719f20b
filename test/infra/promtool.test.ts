import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOriginMetrics } from '../../origin/metrics/origin-metrics.ts';
import { hasCommand, metricNamesIn } from './helpers.ts';

const DIR = 'infra/prometheus';
const HAVE = hasCommand('promtool');
if (!HAVE) console.warn('promtool not found: install it with `scripts/ensure-system-deps.sh promtool` (Debian package prometheus); the promtool checks are skipped');

const promtool = (...args: string[]) => spawnSync('promtool', args, { encoding: 'utf8', timeout: 60_000 });

describe.skipIf(!HAVE)('Prometheus files pass promtool', () => {
  it('promtool check config (with the token file in place)', () => {
    // The scrape config points at a secret file that exists only on the server; give it one here.
    const tmp = mkdtempSync(join(tmpdir(), 'puerta-prom-'));
    try {
      const token = join(tmp, 'token');
      writeFileSync(token, 'test-token\n');
      const cfg = readFileSync(join(DIR, 'prometheus.yml'), 'utf8').replace('/etc/prometheus/secrets/puerta-metrics-token', token);
      writeFileSync(join(tmp, 'prometheus.yml'), cfg);
      copyFileSync(join(DIR, 'alerts.yml'), join(tmp, 'alerts.yml'));
      const r = promtool('check', 'config', join(tmp, 'prometheus.yml'));
      expect(r.stderr + r.stdout).toContain('SUCCESS');
      expect(r.status, r.stderr).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('promtool check rules', () => {
    const r = promtool('check', 'rules', join(DIR, 'alerts.yml'));
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 9 rules found/);
  });

  it('promtool test rules: every alert fires on its scenario', () => {
    const r = promtool('test', 'rules', join(DIR, 'alerts.test.yml'));
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const text = readFileSync(join(DIR, 'alerts.yml'), 'utf8');
    const tests = readFileSync(join(DIR, 'alerts.test.yml'), 'utf8');
    for (const [, name] of text.matchAll(/- alert: (\w+)/g)) expect(tests, `a test case for ${name}`).toContain(`alertname: ${name}`);
  });
});

describe('alert rules refer to metrics the origin exports', () => {
  it('every puerta_* name in alerts.yml is registered', async () => {
    const m = createOriginMetrics({ defaultMetrics: false });
    const exported = new Set((await m.registry.getMetricsAsJSON()).map((x) => x.name));
    const used = metricNamesIn(readFileSync(join(DIR, 'alerts.yml'), 'utf8'));
    expect(used.length).toBeGreaterThan(5);
    for (const n of used) expect(exported.has(n), `${n} is exported`).toBe(true);
    for (const needed of ['puerta_ttft_seconds', 'puerta_queue_depth', 'puerta_upstream_model_vram_bytes', 'puerta_upstream_restarts_total', 'puerta_requests_total', 'puerta_audit_sink_failures_total']) {
      expect(used).toContain(needed);
    }
  });
});
