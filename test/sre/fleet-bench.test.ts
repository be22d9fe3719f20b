/**
 * `npm run bench:fleet` keeps working: a bounded run (2 engines, 4 sessions of 3 turns, 20 times
 * faster than the hardware) through the command as a user types it. Behaviour only: every turn
 * answered, both routing modes in the table, the engines' prefill counted; the speed goal is the
 * full run's (README, "Agent sessions on a simulated fleet").
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

it('npm run bench:fleet, bounded: both routing modes, every turn answered, prefill tokens counted', async () => {
  const { stdout } = await promisify(execFile)(
    'npm',
    ['run', '--silent', 'bench:fleet', '--', '--engines', '2', '--sessions', '4', '--turns', '3', '--think-s', '1', '--ramp-s', '5', '--time-scale', '0.05'],
    { cwd: ROOT, timeout: 170_000 },
  );
  const rows = stdout.split('\n').filter((l) => /^\s*(affinity|least-loaded)\s/.test(l));
  expect(rows, stdout).toHaveLength(2);
  for (const row of rows) {
    const cells = row.trim().split(/\s{2,}/);
    // routing, turns ok, first-turn TTFT p50, next turns p50/p95/p99, prefill computed, prompt tokens, reused, per engine, wall
    expect(cells[1], row).toBe('12/12');
    for (const c of cells.slice(2, 6)) expect(c, row).toMatch(/^\d+\.\d\d s$/);
    expect(Number(cells[6]!.replace('k', '')), row).toBeGreaterThan(0);
    expect(Number(cells[6]!.replace('k', '')), row).toBeLessThanOrEqual(Number(cells[7]!.replace('k', '')));
    expect(cells[9]!.split('/').map(Number).reduce((a, b) => a + b, 0), row).toBe(12);
  }
  expect(stdout).toMatch(/next-turn TTFT p95, affinity \/ least-loaded: \d+\.\d\d/);
}, 180_000);
