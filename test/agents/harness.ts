/**
 * Runs a real coding-agent CLI (installed by scripts/ensure-agent-clis.sh into the agents cache)
 * for one non-interactive turn: a fresh HOME, no network but loopback (every proxy variable points
 * at a closed port, so an update check or telemetry call fails at once instead of leaving the
 * machine), and a hard time bound after which the whole process group is ended.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export type AgentCli = 'claude' | 'codex' | 'opencode' | 'gemini';

const ROOT = resolve(import.meta.dirname, '../..');
const cache = process.env.AGENTS_CACHE ?? join(homedir(), '.cache/puerta/agents');

/** The CLI's launcher, installing the pinned version first when it is missing. */
export function agentBin(cli: AgentCli): string {
  const bin = join(cache, cli, 'node_modules/.bin', cli);
  if (!existsSync(join(cache, cli, '.installed'))) {
    execFileSync('bash', [join(ROOT, 'scripts/ensure-agent-clis.sh'), cli], { stdio: 'inherit', timeout: 600_000 });
  }
  return bin;
}

export interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  home: string;
}

/** A fresh HOME with the XDG folders under it, and an empty working directory. */
export function freshHome(): { home: string; cwd: string; remove(): void } {
  const home = mkdtempSync(join(tmpdir(), 'puerta-agent-home-'));
  const cwd = join(home, 'work');
  mkdirSync(cwd);
  return { home, cwd, remove: () => rmSync(home, { recursive: true, force: true }) };
}

/** Nothing but loopback: a proxy that refuses, bypassed only for local addresses. */
const offline = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  ALL_PROXY: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  all_proxy: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost,::1',
  no_proxy: '127.0.0.1,localhost,::1',
};

export function runAgent(cli: AgentCli, args: string[], opts: { home: string; cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<AgentRun> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: opts.home,
    XDG_CONFIG_HOME: join(opts.home, '.config'),
    XDG_CACHE_HOME: join(opts.home, '.cache'),
    XDG_DATA_HOME: join(opts.home, '.local/share'),
    XDG_STATE_HOME: join(opts.home, '.local/state'),
    TERM: 'dumb',
    NO_COLOR: '1',
    CI: '1',
    ...offline,
    ...opts.env,
  };
  return new Promise((resolveRun) => {
    const child = spawn(agentBin(cli), args, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, opts.timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      // CLIs may leave helpers (language servers, watchers) in their group: end them too.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // none left
      }
      resolveRun({ code, stdout, stderr, timedOut, home: opts.home });
    });
  });
}
