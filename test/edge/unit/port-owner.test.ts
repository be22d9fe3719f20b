import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { holdsListeningPort } from '../../../edge/local/port-owner.ts';

describe('holdsListeningPort (local runners only trust a server that holds its own port)', () => {
  it('tells this process its own listening socket from another process holding the port', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      expect(holdsListeningPort(process.pid, port)).toBe(true);
      expect(holdsListeningPort(other.pid!, port)).toBe(false);
    } finally {
      other.kill();
      await new Promise((r) => server.close(r));
    }
    expect(holdsListeningPort(process.pid, port)).toBe(false);
  });
});

describe('the Viceroy runner', () => {
  it('refuses a port another server holds, even when that server answers /healthz', async () => {
    const { createServer: createHttpServer } = await import('node:http');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startViceroyEdge } = await import('../../../edge/local/viceroy.ts');
    const impostor = createHttpServer((_, res) => res.end('ok'));
    await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', () => r()));
    const port = (impostor.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'puerta-port-'));
    writeFileSync(join(dir, 'tenants.json'), '{}');
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ edge_signing_secret: 'x'.repeat(64) }));
    try {
      await expect(
        startViceroyEdge({ originUrl: 'http://127.0.0.1:9', tenantsFile: join(dir, 'tenants.json'), secretsFile: join(dir, 'secrets.json'), port }),
      ).rejects.toThrow(`port ${port} is taken`);
    } finally {
      await new Promise((r) => impostor.close(r));
    }
  }, 150_000);
});
