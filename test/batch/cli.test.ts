/**
 * `npm run batch`: the README's commands (its `batch-cli` block), run by bash exactly as printed
 * from a directory of the user's, against the edge (workerd) in front of an origin with the batch
 * stage and the simulator.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../sre/bench/lib/processes.ts';
import { startEdgeStack, type EdgeStack } from '../edge/harness/stack.ts';
import { chatLines } from './helpers.ts';

let s: EdgeStack;
// Inside the repository (npm finds package.json above it) but ignored by git: a user's directory.
const dir = join(repoRoot, '.puerta', `batch-cli-${process.pid}`);

beforeAll(async () => {
  s = await startEdgeStack('workers', { timeScale: 0.02, origin: { batch: { enabled: true, pollMs: 50 } } });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'requests.jsonl'), chatLines(6));
}, 600_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await s?.close();
});

function readmeBlock(marker: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const at = readme.indexOf(`<!-- ${marker} -->\n\`\`\`sh\n`);
  expect(at, `README has no ${marker} block`).toBeGreaterThanOrEqual(0);
  const start = readme.indexOf('```sh\n', at) + 6;
  return readme.slice(start, readme.indexOf('```', start));
}

describe('npm run batch, as the README prints it', () => {
  it('submits, reports, waits with a progress bar, downloads; and all of it in one command', async () => {
    const block = readmeBlock('batch-cli');
    const { stdout, stderr } = await promisify(execFile)('bash', ['-e', '-c', block], {
      cwd: dir,
      env: { ...process.env, PUERTA_ORIGIN_URL: s.edge.url, PUERTA_API_KEY: s.keys.open },
      timeout: 180_000,
    });
    // status, wait and the one-command form each print a batch object; the last two a completed one.
    const batches = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { id: string; status: string; request_counts: { total: number; completed: number } });
    expect(batches).toHaveLength(3);
    expect(batches.slice(1).map((b) => [b.status, b.request_counts])).toEqual([
      ['completed', { total: 6, completed: 6, failed: 0 }],
      ['completed', { total: 6, completed: 6, failed: 0 }],
    ]);
    // The bar, drawn from the live progress stream, ends full.
    expect(stderr).toMatch(/ 6\/6 lines \| completed \| 0 failed/);
    for (const b of batches.slice(1)) {
      const out = join(dir, 'results', `${b.id}_output.jsonl`);
      expect(existsSync(out)).toBe(true);
      const ids = readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
      expect(ids.sort()).toEqual(Array.from({ length: 6 }, (_, i) => `req-${i}`).sort());
    }
  });

  it('says what is wrong in one line: an unknown command, a batch that is not there', async () => {
    const run = (args: string[]) =>
      promisify(execFile)('npm', ['run', '--silent', 'batch', '--', ...args], { cwd: dir, env: { ...process.env, PUERTA_ORIGIN_URL: s.edge.url, PUERTA_API_KEY: s.keys.open } }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
    expect(await run(['frobnicate', 'x'])).toEqual({ code: 2, stderr: "batch: unknown command 'frobnicate'; one of submit, status, wait, download (--help for usage)\n" });
    const missing = await run(['status', 'batch_nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^batch: GET \/batches\/batch_nope refused \(404\): No batch with id 'batch_nope'/);
  });
});
