import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';
import { readUnit } from '../../timeouts/sources/systemd.ts';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export interface Child {
  proc: ChildProcess;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export { freePort };

function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill('SIGTERM');
    });
}

/** Polls a URL until it answers 200 (a server started on a known port). */
export async function waitFor(url: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > end) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * How the origin runs: `built` is what production runs (`npm run build`, then plain node with the
 * unit's flags on dist/origin/main.js, as the systemd unit does); `tsx` is the development path
 * (`npm run origin`).
 */
export type OriginRuntime = 'built' | 'tsx';

/** The origin's systemd unit: what production runs, read by the benchmarks and the install test. */
const ORIGIN_UNIT = 'infra/origin/puerta-origin.service';

/** The unit's ExecStart command line (the last one in [Service], as systemd takes it), split into its words. */
export function unitExecStart(): string[] {
  const file = join(repoRoot, ORIGIN_UNIT);
  const argv = readUnit(file)
    .filter((e) => e.section === 'Service' && e.key === 'ExecStart')
    .pop()
    ?.value.split(/\s+/);
  if (!argv || argv.length < 2) throw new Error(`${file}: no ExecStart= with node and the bundle`);
  return argv;
}

/**
 * The node flags the systemd unit runs the origin with (its ExecStart, between node and the
 * bundle): a benchmark runs the built origin, and the Node floors beside it, as production does.
 */
export function unitNodeFlags(): string[] {
  return unitExecStart().slice(1, -1);
}

/** Builds dist/ (esbuild, well under a second) so a benchmark never measures a stale bundle. */
export function buildOrigin(): void {
  const r = spawnSync('bash', [join(repoRoot, 'scripts/build.sh')], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed: ${r.stderr}`);
}

/**
 * The origin as its own process, on a fixed free port; `startedMs` is spawn to first /healthz.
 * `bundle`: another build of the origin to run instead of this checkout's (a before/after
 * comparison in one run).
 */
export async function startOriginProcess(
  env: Record<string, string>,
  runtime: OriginRuntime = 'built',
  nodeArgs: string[] = [],
  bundle = join(repoRoot, 'dist/origin/main.js'),
): Promise<Child & { startedMs: number }> {
  const port = await freePort();
  const childEnv = { LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' };
  const t0 = performance.now();
  const child =
    runtime === 'built'
      ? startProcess([process.execPath, ...unitNodeFlags(), ...nodeArgs, bundle], childEnv)
      : await startTsProcess('origin/node/main.ts', [], childEnv, undefined);
  child.url = `http://127.0.0.1:${port}`;
  await waitFor(`${child.url}/healthz`);
  return { ...child, startedMs: performance.now() - t0 };
}

function startProcess(argv: string[], env: Record<string, string>): Child {
  const [exe, ...args] = argv;
  const proc = spawn(exe!, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  forwardStderr(proc);
  proc.stdout!.resume();
  return { proc, url: '', pid: proc.pid!, stop: stopper(proc) };
}

/**
 * Starts a TypeScript entry with tsx. With `ready`, waits until it returns the URL from a line
 * of stdout; without, returns at once (the caller polls).
 */
export async function startTsProcess(
  entry: string,
  args: string[],
  env: Record<string, string>,
  ready: ((line: string) => string | undefined) | undefined,
  nodeArgs: string[] = [],
): Promise<Child> {
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(repoRoot, entry), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  forwardStderr(proc);
  if (!ready) {
    proc.stdout!.resume();
    return { proc, url: '', pid: proc.pid!, stop: stopper(proc) };
  }
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const u = ready(line);
        if (u) {
          proc.stdout!.off('data', onData);
          proc.stdout!.resume();
          return resolve(u);
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`${entry} exited with ${code} before it was ready`)));
  });
  return { proc, url, pid: proc.pid!, stop: stopper(proc) };
}

/**
 * A child's stderr on ours, less the lines Node's inspector prints each time `--held` attaches
 * to force a collection ("Debugger attached.", "Debugger ending on …"): they
 * are the bench's own doing, not something the relay said.
 */
function forwardStderr(proc: ChildProcess): void {
  proc.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    if (!INSPECTOR_NOISE.test(text)) return void process.stderr.write(d);
    const kept = text.split('\n').filter((l) => !INSPECTOR_NOISE.test(l)).join('\n');
    if (kept.trim() !== '') process.stderr.write(kept);
  });
}

const INSPECTOR_NOISE = /^(Debugger (attached\.|listening on |ending on )|For help, see: https:\/\/nodejs\.org\/en\/docs\/inspector|Waiting for the debugger to disconnect\.\.\.)/m;

/** Resident set size of a process, from /proc (Linux). */
export { rssOf as rssBytes } from './proc-stat.ts';

/**
 * Every relay under test listens with this backlog (the simulator too), so a 2,048-stream burst
 * measures the relays, not SYN retries past a default backlog of 511.
 */
export const BENCH_LISTEN_BACKLOG = 4096;

/** nginx as the reference reverse proxy: proxy_buffering off, the baseline the relay benchmark compares against. */
export async function startNginx(upstreamPort: number): Promise<Child | undefined> {
  const bin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => {
    try {
      readFileSync(p);
      return true;
    } catch {
      return false;
    }
  });
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'puerta-nginx-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream sim { server 127.0.0.1:${upstreamPort}; keepalive 512; }
  server {
    listen 127.0.0.1:${port} backlog=${BENCH_LISTEN_BACKLOG};
    location / {
      proxy_pass http://sim;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 600s;
    }
  }
}
`,
  );
  const proc = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  forwardStderr(proc);
  // Wait until it accepts connections.
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/api/version`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { proc, url: `http://127.0.0.1:${port}`, pid: proc.pid!, stop: stopper(proc) };
}
