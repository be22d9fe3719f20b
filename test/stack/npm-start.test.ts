import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../sre/bench/lib/processes.ts';

// `npm start` is one of the README's two commands: run its script as a user would (on free
// ports) and follow the printed instructions.
describe('npm start (the local stack)', () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    // On a failure the stack may still run: end its whole process group, Viceroy included
    // (a SIGKILL to the stack alone would skip its own shutdown and leave the edge running).
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

  it('prints the edge URL and a demo key that stream a chat through edge → origin → simulator, and stops cleanly', async () => {
    // Port 0 everywhere: each part takes a port from the OS as it binds, so no port picked in
    // advance can be taken by a parallel test in between; the test reads the URLs it prints.
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-stack.ts'], {
      cwd: repoRoot,
      env: { ...process.env, ORIGIN_PORT: '0', SIM_PORT: '0', EDGE_PORT: '0', OLLAMA_URL: '' },
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

    const res = await fetch(`${edgeUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-oss:20b', stream: true, messages: [{ role: 'user', content: '¿Qué es Puerta? [[sim:tokens=5]]' }] }),
    });
    const text = await res.text();
    expect(res.status, `${text}\n--- npm start printed:\n${out}`).toBe(200);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const refused = await fetch(`${edgeUrl}/v1/models`);
    expect(refused.status).toBe(401);

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 120_000);
});
