import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../sre/bench/lib/processes.ts';
import { haveOllama, tinyModels } from '../helpers/ollama.ts';

// `npm start` is one of the README's two commands: run its script as a user would (on free
// ports) and follow the printed instructions.
describe('npm start (the local stack)', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    // On a failure the stack may still run: end its whole process group, Viceroy and Ollama
    // included (a SIGKILL to the stack alone would skip its own shutdown and leave them running).
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone.
      }
    }
  });

  /** Starts the stack with `args`, streams one chat through the printed edge URL and key, stops it; returns what it printed. */
  async function runStack(args: string[], model: string, content: string, env: Record<string, string> = {}): Promise<string> {
    // Port 0 everywhere: each part takes a port from the OS as it binds, so no port picked in
    // advance can be taken by a parallel test in between; the test reads the URLs it prints.
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-stack.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ORIGIN_PORT: '0', SIM_PORT: '0', EDGE_PORT: '0', OLLAMA_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so cleanup can reach everything it started.
      detached: true,
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => out, { timeout: 90_000, interval: 200 }).toContain('Ctrl-C stops the stack.');

    const edgeUrl = /edge\s+(http:\/\/\S+)/.exec(out)?.[1];
    const key = /demo key\s+(pk_\S+)/.exec(out)?.[1];
    expect(edgeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(key).toBeDefined();
    expect(out).toContain(`curl -N ${edgeUrl}/v1/chat/completions`);
    expect(out).toContain(`"model":"${model}"`);

    const res = await fetch(`${edgeUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, max_tokens: 5, messages: [{ role: 'user', content }] }),
    });
    const text = await res.text();
    expect(res.status, `${text}\n--- npm start printed:\n${out}`).toBe(200);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const refused = await fetch(`${edgeUrl}/v1/models`);
    expect(refused.status).toBe(401);

    // The console: its printed URL answers, and the printed login opens it.
    const [, consoleUrl, user, password] = /console\s+(http:\/\/\S+\/console)\s+\(operator "([^"]+)", password (\S+);/.exec(out) ?? [];
    expect(consoleUrl, out).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console$/);
    expect((await fetch(`${consoleUrl}/login`)).status).toBe(200);
    const login = await fetch(`${consoleUrl}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(consoleUrl!).origin }, body: new URLSearchParams({ user: user!, password: password! }).toString() });
    expect(login.status).toBe(303);
    expect((await fetch(`${consoleUrl}/now`, { headers: { cookie: login.headers.get('set-cookie')!.split(';')[0]! } })).status).toBe(200);

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    return out;
  }

  it('--upstream sim: edge → origin → simulator, and stops cleanly', async () => {
    const out = await runStack(['--upstream', 'sim'], 'gpt-oss:20b', '¿Qué es Puerta? [[sim:tokens=5]]');
    expect(out).toMatch(/upstream\s+Ollama simulator http:\/\/127\.0\.0\.1:\d+ \(--upstream sim\)/);
  }, 120_000);

  it.skipIf(!haveOllama && process.env.PUERTA_REQUIRE_OLLAMA !== '1')('by default with the Ollama build present: edge → origin → real Ollama with the tiny models, and stops cleanly (Ollama too)', async () => {
    // The edge runtime is not what this test is about (the test above covers the default): workerd
    // starts in seconds where Viceroy compiles its wasm first.
    const out = await runStack([], tinyModels.chat, '¿Qué es Puerta?', { EDGE_RUNTIME: 'workers' });
    const ollamaUrl = /upstream\s+real Ollama 0\.17\.4 (http:\/\/127\.0\.0\.1:\d+) \(local build/.exec(out)?.[1];
    expect(ollamaUrl).toBeDefined();
    // Ctrl-C stopped the Ollama server it started.
    await expect(fetch(`${ollamaUrl}/api/version`)).rejects.toThrow();
  }, 150_000);
});
