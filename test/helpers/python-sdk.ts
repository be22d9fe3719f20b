/**
 * The official OpenAI Python SDK in tests: a venv installed by scripts/ensure-python-sdks.sh
 * (pinned, cached outside the repo, installed on first use), and a runner that feeds it a script
 * on stdin and reads the JSON it prints.
 */
import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** The venv's python, installing the pinned SDK first when it is missing. */
export function pythonSdk(): string {
  return execFileSync('bash', [resolve(ROOT, 'scripts/ensure-python-sdks.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 }).trim();
}

/** Runs `script` with the venv's python and `env`; resolves to the JSON of its last stdout line. */
export function runPython<T>(python: string, script: string, env: Record<string, string>, timeoutMs = 60_000): Promise<T> {
  return new Promise((done, fail) => {
    const child = spawn(python, ['-'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        done(JSON.parse(last) as T);
      } catch {
        fail(new Error(`python exited ${code}: ${out}\n${err}`));
      }
    });
    child.stdin.end(script);
  });
}
