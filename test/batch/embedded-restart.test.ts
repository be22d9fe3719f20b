/**
 * The default deployment: one origin with its embedded PGlite on disk (BATCH_DATA_DIR). Killed
 * with SIGKILL mid-batch and started again on the same directory, it finishes the batch with
 * every custom_id answered exactly once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOriginProcess, type Child } from '../../sre/bench/lib/processes.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { chatLines } from './helpers.ts';

const LINES = 40;
let sim: Simulator;
let env: Record<string, string>;
const running: Child[] = [];

beforeAll(async () => {
  sim = await startSimulator({ timeScale: 0.1, preloaded: ['llama3.2:3b'] });
  const dir = mkdtempSync(join(tmpdir(), 'puerta-batch-embedded-'));
  const config = join(dir, 'origin.json');
  writeFileSync(config, JSON.stringify({ upstreams: [{ name: 'sim', url: sim.url }], batch: { enabled: true, embedded: { dataDir: join(dir, 'db') }, concurrency: 2, leaseMs: 2_000, pollMs: 100 } }));
  env = { PUERTA_ORIGIN_CONFIG: config, LOG_LEVEL: 'warn' };
}, 60_000);
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  await sim?.close();
});

it('finishes after a kill -9 and a restart on the same data directory', async () => {
  const first = await startOriginProcess(env, 'tsx');
  running.push(first);
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([chatLines(LINES, { tokens: 40 })]), 'input.jsonl');
  const file = (await (await fetch(`${first.url}/v1/files`, { method: 'POST', body: form })).json()) as { id: string };
  const batch = (await (await fetch(`${first.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }) })).json()) as { id: string };
  const counts = async (url: string) => ((await (await fetch(`${url}/v1/batches/${batch.id}`)).json()) as { status: string; request_counts: { completed: number }; output_file_id: string | null });
  await expect.poll(async () => (await counts(first.url)).request_counts.completed, { timeout: 60_000, interval: 50 }).toBeGreaterThan(3);
  expect((await counts(first.url)).request_counts.completed).toBeLessThan(LINES);
  first.proc.kill('SIGKILL');
  await new Promise<void>((r) => (first.proc.exitCode !== null || first.proc.signalCode !== null ? r() : first.proc.once('exit', () => r())));

  const second = await startOriginProcess(env, 'tsx');
  running.push(second);
  await expect.poll(async () => (await counts(second.url)).status, { timeout: 120_000, interval: 250 }).toBe('completed');
  const done = await counts(second.url);
  const text = await (await fetch(`${second.url}/v1/files/${done.output_file_id}/content`)).text();
  const ids = text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
  expect(ids).toHaveLength(LINES);
  expect(new Set(ids).size).toBe(LINES);
}, 240_000);
