import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../infra/check-ollama.ts';
import { verifyDaysSince } from '../helpers/audit-days.ts';
import { importSigningKey, signOutgoing } from '../../shared/signing.ts';
import { presets, startSimulator, type Simulator } from '../../sim/index.ts';
import { freePort } from '../../sre/bench/lib/free-port.ts';
import { parseSse } from '../helpers/sse.ts';
import { unitExecStart, waitFor } from '../../sre/bench/lib/processes.ts';

/**
 * What an operator does on the GPU box (README "The origin service"): a clean copy of the
 * repository, a production install (`npm ci --omit=dev`: no tsx, no TypeScript), the build output
 * of `npm run build`, then the systemd unit's own ExecStart command line, run here as a plain
 * process (systemd itself does not run in a container) with the example environment. A chat
 * streams through it; SIGTERM then lets the open stream finish inside the grace period, the
 * process exits 0 and the day's audit file verifies sealed.
 */
function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
}

describe('production install: the built origin under the unit command line', () => {
  let dir: string;
  let sim: Simulator;
  let origin: ChildProcess | undefined;
  let stderr = '';

  beforeAll(async () => {
    run('bash', ['scripts/build.sh'], process.cwd());
    dir = mkdtempSync(join(tmpdir(), 'puerta-prod-'));
    // A clean copy: what git would check out (tracked and not-ignored files), nothing installed.
    const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
    for (const f of files) {
      if (!existsSync(f)) continue; // deleted in the working tree, not yet committed
      mkdirSync(join(dir, dirname(f)), { recursive: true });
      cpSync(f, join(dir, f));
    }
    run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], dir);
    cpSync('dist', join(dir, 'dist'), { recursive: true });
    sim = await startSimulator({
      timeScale: 0.05,
      models: [
        { ...presets['gpt-oss-20b'], name: 'puerta-rag:latest' },
        { ...presets['nomic-embed-text'], name: 'puerta-embed:latest' },
        { ...presets['gpt-oss-120b'], name: 'puerta-reason:latest' },
      ],
    });
  }, 300_000);

  afterAll(async () => {
    origin?.kill('SIGKILL');
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has no dev tooling: tsx and typescript are absent from the production install', () => {
    expect(existsSync(join(dir, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules/hono'))).toBe(true);
  });

  it('starts from ExecStart, streams a signed chat, and shuts down gracefully on SIGTERM', async () => {
    const [exe, ...args] = unitExecStart();
    expect(exe).toBe('/usr/bin/node');
    expect(args.join(' ')).not.toContain('tsx');
    const env = parseEnvFile(readFileSync('infra/origin/origin.env.example', 'utf8'));
    const port = await freePort();
    const auditDir = join(dir, 'audit');
    const secret = env.EDGE_SIGNING_SECRET!;
    // The example's values, pointed at this machine: the simulator, a temporary audit directory, a
    // free port, no Redis (in-process store), and a short grace period so the test stays short.
    const { REDIS_URL: _redis, ...example } = env;
    const childEnv = {
      PATH: process.env.PATH ?? '',
      ...example,
      PORT: String(port),
      OLLAMA_URL: sim.url,
      AUDIT_DIR: auditDir,
      PUERTA_ORIGIN_CONFIG: join(dir, 'infra/origin/origin.json'),
      SHUTDOWN_GRACE_MS: '5000',
      LOG_LEVEL: 'warn',
    };
    // systemd runs ExecStart's absolute path in WorkingDirectory=/opt/puerta; here the copy stands in for it.
    origin = spawn(existsSync(exe!) ? exe! : process.execPath, args, { cwd: dir, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    origin.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => origin!.once('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/healthz`, 60_000);

    const startedAt = Date.now();
    const key = await importSigningKey(secret);
    const chat = async (maxTokens: number) => {
      const body = JSON.stringify({ model: 'puerta-rag', stream: true, max_tokens: maxTokens, messages: [{ role: 'user', content: 'hola' }] });
      const path = '/v1/chat/completions';
      const requestId = 'req_' + crypto.randomUUID().replace(/-/g, '');
      const signed = await signOutgoing(key, { method: 'POST', path, body, tenant: 'acme', requestId, country: 'CR' });
      return fetch(url + path, { method: 'POST', body, headers: { ...signed, 'x-request-id': requestId, 'content-type': 'application/json' } });
    };

    const first = await chat(8);
    expect(first.status, stderr).toBe(200);
    const events = parseSse(await first.text());
    expect(events.at(-1)?.data).toBe('[DONE]');
    expect(events.some((e) => e.data?.includes('"content"'))).toBe(true);

    // A stream open when SIGTERM arrives finishes within the grace period.
    const open = await chat(40);
    expect(open.status).toBe(200);
    origin.kill('SIGTERM');
    const tail = parseSse(await open.text());
    expect(tail.at(-1)?.data).toBe('[DONE]');
    expect(await exited, stderr).toBe(0);
    origin = undefined;

    expect(readdirSync(auditDir).length).toBeGreaterThan(0);
    const report = await verifyDaysSince(auditDir, startedAt, { chainKey: env.AUDIT_CHAIN_KEY! });
    expect(report.ok, JSON.stringify(report)).toBe(true);
    expect(report.records).toBe(2);
  }, 120_000);
});
