/**
 * LiteLLM proxy as a second LLM gateway beside nginx in `npm run bench:relay`: the gateway users
 * would otherwise pick, run as a plain relay. One uvicorn worker (`--num_workers 1`, so one
 * process, as issue 12's first measurement ran it), no master key, no database, no callbacks,
 * message and streaming logging off, `LITELLM_LOG=ERROR` (uvicorn's access log off with it).
 * Each bench model maps to the simulator as an OpenAI-compatible upstream (`openai/<name>`).
 *
 * Installed only on request, by scripts/ensure-litellm.sh, into a venv outside the repo.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import type { Child } from './processes.ts';

/** The `litellm` executable scripts/ensure-litellm.sh installed, or undefined when it has not. */
export function litellmExecutable(repoRoot: string): string | undefined {
  const r = spawnSync('bash', [join(repoRoot, 'scripts/ensure-litellm.sh'), '--check'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

/** Python's import of the proxy takes seconds on an idle machine, much longer on a loaded one. */
const READY_TIMEOUT_MS = 180_000;

/**
 * Starts LiteLLM in front of `upstream` (the simulator's base URL) for `models`, with room for
 * `maxStreams` concurrent upstream streams; undefined when not installed.
 */
export async function startLiteLLM(repoRoot: string, upstream: string, models: readonly string[], maxStreams: number): Promise<Child | undefined> {
  const exe = litellmExecutable(repoRoot);
  if (!exe) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'puerta-litellm-'));
  const config = {
    model_list: models.map((name) => ({
      model_name: name,
      // The simulator checks no key; LiteLLM's OpenAI client wants one.
      litellm_params: { model: `openai/${name}`, api_base: `${upstream}/v1`, api_key: 'bench-unchecked' },
    })),
    litellm_settings: { turn_off_message_logging: true, disable_streaming_logging: true, request_timeout: 600, num_retries: 0 },
    // A plain relay: nothing retried, nothing written per request.
    router_settings: { num_retries: 0 },
    // No key, as origin lean runs with AUTH_MODE=none (loopback only); LiteLLM refuses to start
    // without one unless told so.
    general_settings: { disable_spend_logs: true, disable_error_logs: true, dangerously_permit_weak_or_unset_master_key: true },
  };
  // JSON is YAML, so no YAML writer is needed.
  writeFileSync(join(dir, 'config.yaml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  // Its stderr goes to a file: each failed request is a Python traceback of some 60 lines, which
  // would bury the tables. The file's path and line count are printed when it stops.
  const logPath = join(dir, 'litellm.log');
  const logFd = openSync(logPath, 'w');
  const proc = spawn(exe, ['--config', join(dir, 'config.yaml'), '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'], {
    cwd: dir,
    // Its own process group, so stopping it reaches anything it forked too.
    detached: true,
    stdio: ['ignore', 'ignore', logFd],
    env: {
      ...process.env,
      LITELLM_LOG: 'ERROR',
      // The model price map ships in the package; without this it is fetched over the network at start.
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      DISABLE_ADMIN_UI: 'True',
      // Its upstream pool allows 500 connections per host by default (1,000 in all): stream 501
      // would wait for one to free. Sized like the origin's engine slots, so nothing queues here either.
      AIOHTTP_CONNECTOR_LIMIT: String(maxStreams),
      AIOHTTP_CONNECTOR_LIMIT_PER_HOST: String(maxStreams),
      PYTHONUNBUFFERED: '1',
    },
  });
  closeSync(logFd);
  const logTail = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8').slice(-4_000) : '');
  const url = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      const done = () => {
        const lines = existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').filter(Boolean).length : 0;
        if (lines > 0) console.error(`litellm wrote ${lines} line${lines === 1 ? "" : "s"} to stderr (errors and their tracebacks): ${logPath}`);
        else rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (proc.exitCode !== null || proc.signalCode !== null) return done();
      const group = (sig: NodeJS.Signals) => {
        try {
          process.kill(-proc.pid!, sig);
        } catch {
          // Already gone.
        }
      };
      const t = setTimeout(() => group('SIGKILL'), 10_000);
      proc.once('exit', () => {
        clearTimeout(t);
        done();
      });
      group('SIGTERM');
    });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      const tail = logTail();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`litellm exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${tail}`);
    }
    try {
      // Readiness, not liveliness: the config (model list, router) is loaded once this answers 200.
      if ((await fetch(`${url}/health/readiness`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      const tail = logTail();
      await stop();
      throw new Error(`litellm did not answer ${url}/health/readiness within ${READY_TIMEOUT_MS / 1000} s:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { proc, url, pid: proc.pid!, stop };
}
