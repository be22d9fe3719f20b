/**
 * Runs bin/main.wasm in Viceroy (tests, bench:edge, npm start) with a temporary copy of the repository's fastly.toml: the same
 * [local_server] stores, geolocation and settings, with only the origin URL, the file paths and
 * any test settings replaced. Viceroy is built once by scripts/ensure-system-deps.sh.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureEdgeBuilt } from './build.ts';
import { holdsListeningPort } from './port-owner.ts';
import type { RunningEdge } from './types.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export function viceroyPath(): string {
  const cache = process.env.VICEROY_CACHE ?? join(homedir(), '.cache/puerta/viceroy');
  return join(cache, 'bin/viceroy');
}

/** Idempotent; builds Viceroy only when the cached binary is missing. */
export function ensureViceroy(): string {
  const r = spawnSync('bash', [resolve(ROOT, 'scripts/ensure-system-deps.sh'), 'viceroy'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/ensure-system-deps.sh viceroy failed');
  return viceroyPath();
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface ViceroyEdgeOptions {
  originUrl: string;
  tenantsFile: string;
  secretsFile: string;
  /** Config store entries to set or override (edge/config.ts keys). */
  config?: Record<string, string>;
  /** Listening port; a free one when omitted. */
  port?: number;
}

/** Rewrites the values of `[local_server]` that depend on this run; fails loudly if fastly.toml changed shape. */
export function localFastlyToml(opts: ViceroyEdgeOptions): string {
  let toml = readFileSync(resolve(ROOT, 'fastly.toml'), 'utf8');
  const replace = (from: string | RegExp, to: string) => {
    // Checked by match, not by a changed result: the value may already be the one wanted (port 8080).
    const found = typeof from === 'string' ? toml.includes(from) : new RegExp(from.source).test(toml);
    if (!found) throw new Error(`fastly.toml: expected to find ${String(from)}`);
    toml = toml.replace(from, to);
  };
  replace(/http:\/\/127\.0\.0\.1:8080/g, opts.originUrl);
  replace('".puerta/tenants.json"', JSON.stringify(opts.tenantsFile));
  replace('".puerta/edge-secrets.json"', JSON.stringify(opts.secretsFile));
  for (const [k, v] of Object.entries(opts.config ?? {})) {
    const line = new RegExp(`^(\\s*)${k} = .*$`, 'm');
    if (line.test(toml)) toml = toml.replace(line, `$1${k} = ${JSON.stringify(v)}`);
    else toml = toml.replace('[local_server.config_stores.puerta_config.contents]\n', `$&    ${k} = ${JSON.stringify(v)}\n`);
  }
  return toml;
}

class PortTaken extends Error {}

/**
 * Ready when Viceroy itself holds the port and answers. Viceroy compiles the wasm before it binds
 * and exits on a taken port, so an answer alone could come from whoever took the port meanwhile.
 */
// Viceroy compiles the whole wasm with Cranelift at every start: ~15 s of CPU on a quiet 2-core
// machine, several times that on a loaded one. Within vitest's 120 s hook limit.
const LISTEN_DEADLINE_MS = 110_000;

async function waitListening(url: string, port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + LISTEN_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      if (/Address already in use|AddrInUse/i.test(log())) throw new PortTaken(`port ${port} is taken`);
      throw new Error(`viceroy exited (${child.exitCode}):\n${log()}`);
    }
    const owner = holdsListeningPort(child.pid!, port);
    if (owner !== false) {
      try {
        await fetch(url + '/healthz');
        if (owner === true || holdsListeningPort(child.pid!, port) !== false) return;
      } catch {
        // Not accepting yet.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`viceroy did not listen on ${url} within ${LISTEN_DEADLINE_MS / 1000} s:\n${log()}`);
}

export async function startViceroyEdge(opts: ViceroyEdgeOptions): Promise<RunningEdge> {
  ensureEdgeBuilt();
  const bin = ensureViceroy();
  const dir = mkdtempSync(join(tmpdir(), 'puerta-viceroy-'));
  const tomlPath = join(dir, 'fastly.toml');
  writeFileSync(tomlPath, localFastlyToml(opts));
  // A port picked here can be taken before Viceroy binds it: pick again (a given port is kept).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(bin, dir, tomlPath, opts.port || (await freePort()));
    } catch (err) {
      if (!(err instanceof PortTaken) || opts.port || attempt === 3) throw err;
    }
  }
}

async function startOn(bin: string, dir: string, tomlPath: string, port: number): Promise<RunningEdge> {
  const child = spawn(bin, ['serve', '-C', tomlPath, '--addr', `127.0.0.1:${port}`, resolve(ROOT, 'bin/main.wasm')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never outlive the process that started it (tests, npm start, bench), however that one ends.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitListening(url, port, child, () => output);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    runtime: 'fastly',
    url,
    clientFrom: (country) => ({ localAddress: country === 'US' ? '127.0.0.2' : '127.0.0.1' }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
