import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLayout } from '../../sre/timeouts/check.ts';
import { runCli } from '../../sre/timeouts/cli.ts';
import { parseDuration } from '../../sre/timeouts/duration.ts';
import { layoutSchema } from '../../sre/timeouts/layout.ts';
import { rules } from '../../sre/timeouts/rules/index.ts';
import { readFastlyToml, readWranglerConfig } from '../../sre/timeouts/sources/edge.ts';
import { parseSystemdEnvironment, readOllamaOverride } from '../../sre/timeouts/sources/ollama.ts';
import { readOriginConfig } from '../../sre/timeouts/sources/origin.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'test/sre/fixtures/timeouts');
const load = (name: string) => layoutSchema.parse(JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8')));

async function cli(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runCli(args, root, (s) => lines.push(s));
  return { code, text: lines.join('\n') };
}

describe('timeout chain rules', () => {
  it('the base fixture passes every rule', () => {
    const r = checkLayout(load('pass'));
    expect(r.findings.filter((f) => !f.pass)).toEqual([]);
    expect(new Set(r.findings.map((f) => f.rule))).toEqual(new Set(rules.map((r) => r.id)));
  });

  for (const rule of rules) {
    it(`fixture ${rule.id}.json fails ${rule.id} and nothing else, with a fix`, () => {
      const r = checkLayout(load(rule.id));
      const failed = r.findings.filter((f) => !f.pass);
      expect(r.ok).toBe(false);
      expect(failed.length).toBeGreaterThan(0);
      expect(new Set(failed.map((f) => f.rule))).toEqual(new Set([rule.id]));
      for (const f of failed) expect(f.note).toMatch(/raise|lower|set|cap|preload/);
    });
  }
});

describe('check:timeouts CLI', () => {
  it('lists every timer of the path with its source (file and field, environment, or default), from the shipped deployment files', async () => {
    const { code, text } = await cli(['--preset', '120b-single', '--origin-env', join(root, 'infra/origin/origin.env.example'), '--origin-config', join(root, 'infra/origin/origin.json')]);
    expect(code, text).toBe(0);
    const row = (setting: string) => text.split('\n').find((l) => !l.startsWith(' ') && l.includes(setting) && /\s(default \(|environment |\S+\.(toml|json|conf|service))/.test(l)) ?? `(no row for ${setting})`;
    expect(row('fastly FIRST_BYTE_TIMEOUT_MS')).toMatch(/fastly\.toml \[setup\.config_stores\.puerta_config\.items\.FIRST_BYTE_TIMEOUT_MS\] value/);
    expect(row('fastly CONNECT_TIMEOUT_MS')).toMatch(/default \(edge\/config\.ts CONNECT_TIMEOUT_MS/);
    expect(row('origin admission.queueWaitMs')).toMatch(/environment QUEUE_WAIT_MS/);
    expect(row('origin server.shutdownGraceMs')).toMatch(/environment SHUTDOWN_GRACE_MS/);
    expect(row('origin stream.keepaliveMs')).toMatch(/environment KEEPALIVE_INTERVAL_MS/);
    for (const setting of [
      'origin server.idleTimeoutMs',
      'origin modelsRefreshMs',
      'origin routing.health.intervalMs',
      'origin routing.health.timeoutMs',
      "origin upstreams[0].connectTimeoutMs ('default')",
      "origin upstreams[0].firstByteTimeoutMs ('default')",
      "origin upstreams[0].idleTimeoutMs ('default')",
      "origin upstreams[0].poolIdleMs ('default')",
      "origin upstreams[0].metadataTimeoutMs ('default')",
    ]) {
      expect(row(setting)).toMatch(/default \(origin config|environment /);
    }
    expect(row('systemd TimeoutStopSec')).toMatch(/puerta-origin\.service:\d+ TimeoutStopSec/);
    expect(row('OLLAMA_LOAD_TIMEOUT')).toMatch(/override\.conf:\d+ Environment OLLAMA_LOAD_TIMEOUT/);
    // Checked as one chain with the rest: the stop timeout against the grace period, the poll against its period.
    expect(text).toMatch(/systemd TimeoutStopSec\s+45 s\s+> SHUTDOWN_GRACE_MS 30 s \+ 10 s = 40 s\s+PASS/);
    expect(text).toMatch(/origin routing\.health\.timeoutMs\s+2 s\s+< routing\.health\.intervalMs 10 s\s+PASS/);
  });

  it('passes the shipped presets against the shipped configs (exit 0) and prints a table per layout', async () => {
    const { code, text } = await cli([]);
    expect(code, text).toBe(0);
    for (const name of ['120b-single', '120b-20b-pair', 'rag-embedding-storm']) expect(text).toContain(`${name}: all`);
    expect(text).toMatch(/hop\s+setting\s+value\s+rule\s+result\s+fix \/ why/);
    expect(text).toContain('origin admission.queueWaitMs');
    expect(text).not.toContain('FAIL');
  });

  it('exits 1 on a violating layout and names the fix', async () => {
    const { code, text } = await cli(['--layout', join(fixtures, 'fastly-between-bytes-cap.json')]);
    expect(code).toBe(1);
    expect(text).toContain('FAIL');
    expect(text).toContain('BETWEEN_BYTES_TIMEOUT_MS ≤ 60000');
  });

  it('a config change fails the shipped preset: 90 s between-bytes with shielding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'puerta-timeouts-'));
    const toml = readFileSync(join(root, 'fastly.toml'), 'utf8').replace(
      /(\[setup\.config_stores\.puerta_config\.items\.BETWEEN_BYTES_TIMEOUT_MS\][^\n]*\n(?:\s*#[^\n]*\n)*\s*value = )"45000"/,
      '$1"90000"',
    );
    expect(toml).toContain('"90000"');
    writeFileSync(join(dir, 'fastly.toml'), toml);
    const bad = await cli(['--preset', '120b-single', '--fastly-toml', join(dir, 'fastly.toml')]);
    expect(bad.code).toBe(1);
    expect(bad.text).toContain('fastly-between-bytes-cap');
    const noShield = await cli(['--preset', '120b-single', '--fastly-toml', join(dir, 'fastly.toml'), '--shielding', 'false']);
    expect(noShield.code, noShield.text).toBe(0);
  });

  it('refuses bad flags with exit 2 and says what is allowed', async () => {
    const r = await cli(['--edge', 'akamai']);
    expect(r.code).toBe(2);
    expect(r.text).toContain('use fastly, workers or none');
    const bad = await cli(['--layout', join(root, 'package.json')]);
    expect(bad.code).toBe(2);
  });

  it('--json prints machine-readable results', async () => {
    const { code, text } = await cli(['--json', '--layout', join(fixtures, 'pass.json')]);
    expect(code).toBe(0);
    const parsed = JSON.parse(text) as Array<{ ok: boolean; findings: unknown[] }>;
    expect(parsed[0]!.ok).toBe(true);
  });
});

describe('sources', () => {
  it('reads the edge timers from fastly.toml (setup and local) and wrangler.toml', () => {
    const setup = readFastlyToml(join(root, 'fastly.toml'), 'setup');
    expect(setup).toMatchObject({ platform: 'fastly', firstByteTimeoutMs: 180_000, betweenBytesTimeoutMs: 45_000 });
    const local = readFastlyToml(join(root, 'fastly.toml'), 'local');
    expect(local.connectTimeoutMs).toBe(2000);
    const w = readWranglerConfig(join(root, 'infra/wrangler.toml'));
    expect(w).toMatchObject({ platform: 'workers', betweenBytesTimeoutMs: 45_000 });
  });

  it('reads arrays of tables, inline tables and dotted keys with a real TOML parser (no value defaulted)', () => {
    const file = join(fixtures, 'fastly-tables.toml');
    const setup = readFastlyToml(file, 'setup');
    expect(setup).toMatchObject({ connectTimeoutMs: 3000, firstByteTimeoutMs: 120_000, betweenBytesTimeoutMs: 30_000 });
    expect(Object.values(setup.sources).every((s) => 'file' in s)).toBe(true);
    expect(setup.sources.betweenBytesTimeoutMs).toEqual({ file, field: '[setup.config_stores.puerta_config.items.BETWEEN_BYTES_TIMEOUT_MS] value' });
    // Viceroy: inline contents, ORIGIN_BACKEND names a backend given as an inline table: its timers win.
    const local = readFastlyToml(file, 'local');
    expect(local).toMatchObject({ connectTimeoutMs: 1500, firstByteTimeoutMs: 90_000, betweenBytesTimeoutMs: 25_000 });
    expect(local.sources.betweenBytesTimeoutMs).toEqual({ file, field: '[local_server.backends.origin] between_bytes_timeout_ms' });
  });

  it('reads wrangler.jsonc with comments and trailing commas', () => {
    const w = readWranglerConfig(join(fixtures, 'wrangler.jsonc'));
    expect(w).toMatchObject({ platform: 'workers', firstByteTimeoutMs: 100_000, betweenBytesTimeoutMs: 40_000, connectTimeoutMs: 2000 });
    expect(w.sources.connectTimeoutMs).toEqual({ default: 'edge/config.ts CONNECT_TIMEOUT_MS (2000)' });
  });

  it('a config it cannot read stops the check with the file and line, never a silent default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'puerta-unreadable-'));
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expect(() => readFastlyToml(write('fastly.toml', 'name = "x"\n[setup.config_stores.puerta_config.items.FIRST_BYTE_TIMEOUT_MS]\nvalue = 180000"\n'))).toThrow(/fastly\.toml:3: not valid TOML/);
    expect(() => readWranglerConfig(write('wrangler.jsonc', '{\n  "vars": {\n    "FIRST_BYTE_TIMEOUT_MS": "1"\n    "X": 1\n  }\n}\n'))).toThrow(/wrangler\.jsonc:4: not valid JSON\(C\): CommaExpected/);
    expect(() => readFastlyToml(write('bad-value.toml', '[setup.config_stores.puerta_config.items.BETWEEN_BYTES_TIMEOUT_MS]\nvalue = "soon"\n'))).toThrow(/bad-value\.toml: edge configuration invalid: BETWEEN_BYTES_TIMEOUT_MS/);
    expect(() => readOllamaOverride(write('override.conf', '[Service]\nEnvironment="OLLAMA_LOAD_TIMEOUT=10m"\nOLLAMA_NUM_PARALLEL 4\n'))).toThrow(/override\.conf:3: not a systemd "Key=Value" line/);
    expect(() => readOllamaOverride(write('load.conf', '[Service]\n\nEnvironment="OLLAMA_LOAD_TIMEOUT=ten minutes"\n'))).toThrow(/load\.conf:3: OLLAMA_LOAD_TIMEOUT: cannot read duration/);
    expect(() => readOriginConfig({ env: {}, file: write('origin.json', '{\n  "stream": { "keepaliveMs": 15000, },\n}\n') })).toThrow(/origin\.json:2: not valid JSON/);
    // Through the CLI: exit 2 and the same message.
    const r = await cli(['--preset', '120b-single', '--origin-env', write('origin.env', 'QUEUE_WAIT_MS=30000\nthis is not an assignment\n')]);
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/origin\.env:2: not a KEY=value line/);
  });

  it('reads the origin through its own loader, environment included', () => {
    const o = readOriginConfig({ env: { KEEPALIVE_INTERVAL_MS: '5000', QUEUE_WAIT_MS: '12000' } });
    expect(o.keepaliveMs).toBe(5000);
    expect(o.queueWaitMs).toBe(12_000);
    expect(o.queueWaitField).toBe('admission.queueWaitMs');
  });

  it('reads Ollama settings from a systemd override', () => {
    expect(parseSystemdEnvironment('[Service]\nEnvironment="OLLAMA_LOAD_TIMEOUT=10m" "OLLAMA_NUM_PARALLEL=2"\nEnvironment=OLLAMA_KEEP_ALIVE=-1\n')).toEqual({
      OLLAMA_LOAD_TIMEOUT: '10m',
      OLLAMA_NUM_PARALLEL: '2',
      OLLAMA_KEEP_ALIVE: '-1',
    });
    const dir = mkdtempSync(join(tmpdir(), 'puerta-ollama-'));
    mkdirSync(join(dir, 'ollama.service.d'));
    writeFileSync(join(dir, 'ollama.service.d', 'override.conf'), '[Service]\nEnvironment="OLLAMA_LOAD_TIMEOUT=90"\n');
    expect(readOllamaOverride(dir)?.loadTimeoutMs).toBe(90_000);
  });

  it('parses durations the way each source writes them', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('300', 's')).toBe(300_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('soon')).toThrow(/Go duration/);
  });
});
