import { describe, expect, it } from 'vitest';
import { ConfigError, loadOriginConfig } from '../../origin/config/load.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('origin configuration', () => {
  it('builds a single Ollama upstream from OLLAMA_URL with defaults', () => {
    const cfg = loadOriginConfig({ env: { OLLAMA_URL: 'http://127.0.0.1:11434', KEEPALIVE_INTERVAL_MS: '5000', OLLAMA_KEEP_ALIVE: '-1', OLLAMA_NUM_CTX: '8192' } });
    expect(cfg.upstreams).toHaveLength(1);
    expect(cfg.upstreams[0]).toMatchObject({ name: 'default', kind: 'ollama', keepAlive: -1, numCtx: 8192 });
    expect(cfg.stream.keepaliveMs).toBe(5000);
    expect(cfg.server.port).toBe(8080);
  });

  it('reads a JSON file and lets the environment win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'puerta-cfg-'));
    const file = join(dir, 'origin.json');
    writeFileSync(file, JSON.stringify({ server: { port: 9000 }, upstreams: [{ name: 'spark', url: 'http://10.0.0.5:11434', models: ['gpt-oss:120b'] }] }));
    const cfg = loadOriginConfig({ env: { PUERTA_ORIGIN_CONFIG: file, PORT: '9100' } });
    expect(cfg.server.port).toBe(9100);
    expect(cfg.upstreams[0]!.models).toEqual(['gpt-oss:120b']);
  });

  it('LISTEN_BACKLOG sets the listen backlog (default 511); zero or a word is refused naming the variable', () => {
    expect(loadOriginConfig({ env: { OLLAMA_URL: 'http://127.0.0.1:11434' } }).server.listenBacklog).toBe(511);
    expect(loadOriginConfig({ env: { OLLAMA_URL: 'http://127.0.0.1:11434', LISTEN_BACKLOG: '4096' } }).server.listenBacklog).toBe(4096);
    for (const bad of ['0', 'many']) {
      expect(() => loadOriginConfig({ env: { OLLAMA_URL: 'http://127.0.0.1:11434', LISTEN_BACKLOG: bad } })).toThrow(/server\.listenBacklog.*LISTEN_BACKLOG/s);
    }
  });

  it('refuses the retired metrics poll setting by name and says where its job went (one upstream poller)', () => {
    for (const opts of [{ env: { OLLAMA_URL: 'http://127.0.0.1:11434', METRICS_UPSTREAM_POLL_MS: '5000' } }, { env: { OLLAMA_URL: 'http://127.0.0.1:11434' }, overrides: { metrics: { upstreamPollMs: 5000 } } }]) {
      expect(() => loadOriginConfig(opts)).toThrow(/no longer read: one poller serves health and metrics now: set HEALTH_CHECK_INTERVAL_MS/);
    }
  });

  it('stops with a message naming the field, the value and the fix', () => {
    const load = (env: Record<string, string>) => {
      try {
        loadOriginConfig({ env });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    const msg = load({ OLLAMA_URL: 'http://127.0.0.1:11434', PORT: 'eighty', KEEPALIVE_INTERVAL_MS: '-3' });
    expect(msg).toContain('server.port = "eighty"');
    expect(msg).toContain('set PORT');
    expect(msg).toContain('stream.keepaliveMs = "-3"');
    expect(load({})).toMatch(/upstreams = missing: .*OLLAMA_URL/);
    expect(load({ OLLAMA_URL: 'ftp://x' })).toContain('upstreams.0.url = "ftp://x"');
    expect(load({ OLLAMA_URL: 'http://x:1', AUTH_MODE: 'edge' })).toMatch(/auth\.edgeSecret = missing: required when auth.mode is "edge" \(set EDGE_SIGNING_SECRET\)/);
  });
});

describe('origin start', () => {
  it('refuses a taken port with the address named, instead of crashing or hanging', async () => {
    const { createServer } = await import('node:net');
    const { startOrigin } = await import('../../origin/node/server.ts');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(
        startOrigin({ env: {}, overrides: { log: { level: 'silent' }, server: { port }, upstreams: [{ name: 'x', url: 'http://127.0.0.1:9', models: ['m'] }] } }),
      ).rejects.toThrow(`origin cannot listen on 127.0.0.1:${port}: the address is in use (set PORT or server.port)`);
    } finally {
      taken.close();
    }
  });
});
