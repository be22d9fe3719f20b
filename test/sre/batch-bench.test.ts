/**
 * `npm run bench:batch` keeps working: its smallest configuration, run as a user runs it, ends
 * with both batches finished in both phases and its figures printed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../sre/bench/lib/processes.ts';

describe('npm run bench:batch, smallest configuration', () => {
  it('runs idle, alone and together, and reports TTFT, lines/s and the busy fraction', async () => {
    const { stdout } = await promisify(execFile)(
      'npm',
      ['run', '--silent', 'bench:batch', '--', '--embedding-lines', '200', '--chat-lines', '20', '--chatters', '4', '--idle-seconds', '10', '--max-seconds', '60', '--json'],
      { cwd: repoRoot, timeout: 150_000 },
    );
    expect(stdout).toContain('TTFT p95 during / idle:');
    expect(stdout).toContain('engine busy with the batch alone:');
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      ttftRatio: number;
      errors: number;
      alone: { lines: number; failed: number; finished: boolean; linesPerSecond: number; busy: number };
      together: { lines: number; failed: number; finished: boolean };
    };
    for (const phase of [r.alone, r.together]) expect(phase).toMatchObject({ lines: 220, failed: 0, finished: true });
    expect(r.errors).toBe(0);
    expect(r.alone.linesPerSecond).toBeGreaterThan(0);
    expect(r.alone.busy).toBeGreaterThan(0);
    expect(r.alone.busy).toBeLessThanOrEqual(1);
    expect(Number.isFinite(r.ttftRatio)).toBe(true);
  }, 180_000);
});
