import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadOriginConfig } from '../../origin/config/load.ts';
import { startOrigin } from '../../origin/node/server.ts';

const base = { upstreams: [{ name: 'sim', url: 'http://127.0.0.1:9' }] };

function refusal(overrides: Record<string, unknown>, env: Record<string, string> = {}): string {
  try {
    loadOriginConfig({ env, overrides: { ...base, ...overrides } });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('configuration was accepted');
}

describe('region refusal', () => {
  it('refuses a Redis sink outside the default policy, naming the sink, its region and the allowed ones', () => {
    const msg = refusal({ audit: { region: 'cr-sjo-1', redis: { url: 'redis://10.0.0.5:6379', region: 'us-east-1' } } });
    expect(msg).toContain('audit.redis.region');
    expect(msg).toContain("is in region 'us-east-1'");
    expect(msg).toContain('allowed regions [cr-sjo-1] of the default policy');
  });

  it("refuses a sink outside one tenant's policy, naming the tenant", () => {
    const msg = refusal({
      audit: {
        region: 'cr-sjo-1',
        policy: { allowedRegions: ['cr-sjo-1', 'cr-sjo-2'] },
        file: { dir: '/tmp/x', region: 'cr-sjo-2' },
        tenants: { 'banco-central': { allowedRegions: ['cr-sjo-1'] } },
      },
    });
    expect(msg).toContain("tenant 'banco-central' policy");
    expect(msg).toContain("audit sink file (/tmp/x) is in region 'cr-sjo-2'");
    expect(msg).not.toContain('of the default policy');
  });

  it('refuses to process outside the allowed regions (env: PUERTA_REGION, AUDIT_ALLOWED_REGIONS)', () => {
    const msg = refusal({}, { PUERTA_REGION: 'us-east-1', AUDIT_ALLOWED_REGIONS: 'cr-sjo-1,cr-sjo-2' });
    expect(msg).toContain("processes in region 'us-east-1', outside the allowed regions [cr-sjo-1, cr-sjo-2]");
  });

  it('requires a Redis sink to declare its region', () => {
    expect(refusal({ audit: { redis: { url: 'redis://127.0.0.1:6379' } } })).toMatch(/audit\.redis\.region = missing: the Redis audit sink must declare its region/);
  });

  it('accepts sinks inside every policy', () => {
    const cfg = loadOriginConfig({ env: { PUERTA_REGION: 'cr-sjo-1', AUDIT_REDIS_URL: 'redis://127.0.0.1:6379', AUDIT_REDIS_REGION: 'cr-sjo-1' }, overrides: base });
    expect(cfg.audit.redis.region).toBe('cr-sjo-1');
  });

  it('startOrigin rejects, and the process exits 78 (EX_CONFIG) without listening', async () => {
    await expect(startOrigin({ env: {}, overrides: { ...base, audit: { region: 'cr-sjo-1', redis: { url: 'redis://x:1', region: 'eu-west-1' } } } })).rejects.toThrow(/eu-west-1/);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'origin/node/main.ts'], {
      env: { PATH: process.env.PATH ?? '', OLLAMA_URL: 'http://127.0.0.1:9', PORT: '0', PUERTA_REGION: 'cr-sjo-1', AUDIT_REDIS_URL: 'redis://x:1', AUDIT_REDIS_REGION: 'eu-west-1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain("audit sink redis stream 'puerta:audit' is in region 'eu-west-1', outside the allowed regions [cr-sjo-1]");
  });
});
