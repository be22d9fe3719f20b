import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDaysSince } from '../helpers/audit-days.ts';
import { startOrigin } from '../../origin/node/server.ts';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { chatBody, readAuditRecords, tempDir } from './helpers.ts';
import { postJson } from '../helpers/request.ts';

const WINDOW_MS = 1_000;

/** The origin as its own process (`npm run origin`'s entry), so it can be killed with SIGKILL. */
async function spawnOrigin(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'origin/node/main.ts'], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`origin did not start in time: ${stderr}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`origin exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        const j = JSON.parse(l) as { msg?: string; url?: string };
        if (j.msg === 'origin listening' && j.url) {
          clearTimeout(timer);
          resolve(j.url);
        }
      } catch {
        // Not a log line.
      }
    });
  });
  return { child, url };
}

describe('crash-loss bound', () => {
  let sim: Simulator;
  const tmp = tempDir();
  const startedAt = Date.now();
  beforeAll(async () => {
    sim = await startSimulator({ timeScale: 0.01, preloaded: ['gpt-oss:20b'] });
  });
  afterAll(async () => {
    await sim.close();
    tmp.cleanup();
  });

  it(`kill -9 mid-traffic loses at most the last batch window (${WINDOW_MS} ms) of records`, async () => {
    const { child, url } = await spawnOrigin({
      OLLAMA_URL: sim.url,
      PORT: '0',
      LOG_LEVEL: 'info',
      AUDIT_DIR: tmp.dir,
      AUDIT_BATCH_MS: String(WINDOW_MS),
      PUERTA_REGION: 'cr-sjo-1',
      PUERTA_NODE: 'crash-node',
      HEALTH_CHECK_INTERVAL_MS: '0',
    });
    const completed: Array<{ id: string; at: number }> = [];
    let stop = false;
    let seq = 0;
    const worker = async () => {
      while (!stop) {
        const id = `req-crash-${String(seq++).padStart(6, '0')}`;
        try {
          const res = await postJson(url + '/v1/chat/completions', chatBody('hi [[sim:tokens=3]]'), { headers: { 'x-request-id': id } });
          await res.text();
          // The record is queued before the answer goes out, so "answered" means "recorded in memory".
          if (res.ok) completed.push({ id, at: Date.now() });
        } catch {
          return; // the origin is gone
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    // Traffic for a few batch windows (longer on a loaded machine, so enough requests are answered).
    const t0 = Date.now();
    while (Date.now() - t0 < 20_000 && (completed.length < 40 || Date.now() - t0 < 3 * WINDOW_MS + 300)) await new Promise((r) => setTimeout(r, 50));
    const killedAt = Date.now();
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await new Promise((r) => child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');

    const written = new Set(readAuditRecords(tmp.dir).map((r) => r.id));
    const before = completed.filter((c) => c.at <= killedAt);
    const lost = before.filter((c) => !written.has(c.id));
    expect(before.length).toBeGreaterThanOrEqual(40);
    expect(written.size).toBeGreaterThan(0);
    // Every record lost was answered within the last window, plus the time one batch takes to
    // write and fsync and the timer's jitter on a loaded 2-core machine (at most 500 ms here).
    const oldestLostAge = lost.length ? killedAt - Math.min(...lost.map((c) => c.at)) : 0;
    expect(oldestLostAge).toBeLessThanOrEqual(WINDOW_MS + 500);
    // Nothing older than one window is missing, and nothing is written twice.
    expect(readAuditRecords(tmp.dir).length).toBe(written.size);

    // The next start links to the crashed file; the day still verifies (the crash is a warning).
    const o = await startOrigin({ env: {}, overrides: { log: { level: 'silent' }, server: { port: 0 }, upstreams: [{ name: 'sim', url: sim.url }], audit: { region: 'cr-sjo-1', node: 'crash-node', file: { dir: tmp.dir } }, routing: { health: { intervalMs: 0 } } } });
    await (await postJson(o.url + '/v1/chat/completions', chatBody('hi [[sim:tokens=2]]'))).text();
    await o.close();
    const report = await verifyDaysSince(tmp.dir, startedAt);
    expect(report.errors).toEqual([]);
    expect(report.records).toBe(written.size + 1);
    console.log(`crash-loss: ${before.length} answered, ${written.size} on disk, ${lost.length} lost, oldest lost ${oldestLostAge} ms before the kill`);
  }, 90_000);
});
