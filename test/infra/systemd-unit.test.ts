import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadOriginConfig } from '../../origin/config/load.ts';
import { parseEnvFile } from '../../infra/check-ollama.ts';
import { hasCommand } from './helpers.ts';
import { readUnit } from '../../sre/timeouts/sources/systemd.ts';

const UNIT = 'infra/origin/puerta-origin.service';
const entries = readUnit(UNIT);
/** A directive's value as systemd takes it: the last assignment wins. */
const directive = (k: string) => entries.filter((e) => e.key === k).pop()?.value;

describe('origin systemd unit', () => {
  it('is sandboxed: dedicated user, no new privileges, read-only system, no capabilities', () => {
    expect(directive('User')).toBe('puerta');
    expect(directive('NoNewPrivileges')).toBe('yes');
    expect(directive('ProtectSystem')).toBe('strict');
    expect(directive('ProtectHome')).toBe('yes');
    expect(directive('PrivateTmp')).toBe('yes');
    expect(directive('CapabilityBoundingSet')).toBe('');
    expect(directive('StateDirectory')).toContain('puerta/audit');
    expect(directive('RestartPreventExitStatus')).toBe('78');
  });

  it('gives shutdown more time than the grace period of the example environment', () => {
    const env = parseEnvFile(readFileSync('infra/origin/origin.env.example', 'utf8'));
    const cfg = loadOriginConfig({ env, file: 'infra/origin/origin.json' });
    expect(Number(directive('TimeoutStopSec')) * 1000).toBeGreaterThan(cfg.server.shutdownGraceMs + 5_000);
    // The example's audit directory is the unit's state directory.
    expect(cfg.audit.file.dir).toBe('/var/lib/puerta/audit');
    expect(cfg.audit.required).toBe(true);
  });

  it.skipIf(!hasCommand('systemd-analyze'))('systemd-analyze verify reports nothing', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
