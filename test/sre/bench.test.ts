/**
 * The harness end to end through the whole local stack (simulator → origin → edge, as `npm start`
 * runs it), bounded to a few requests per step on loopback, plus its pieces on their own.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey, ensureSecretsFile, putTenant, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { startLocalEdge, type RunningEdge } from '../../edge/local/index.ts';
import type { TenantsFile } from '../../shared/tenants.ts';
import { compareRuns, runBench, UsageError } from '../../sre/bench/cli.ts';
import { sendOne } from '../../sre/bench/client.ts';
import { csvOf } from '../../sre/bench/output.ts';
import { lineChart, niceTicks } from '../../sre/bench/plot/svg.ts';
import { drawLength, mulberry32, syntheticPrompts } from '../../sre/bench/prompts.ts';
import { dist, type StepSummary } from '../../sre/bench/summary.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';

/** RFC 4180 reader for checking the harness's CSV (csv-parse is not installed; this is enough for tests). */
function parse(text: string, _o: { columns: true }): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (c !== '\r') field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i] ?? ''])));
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

describe('bench through the local stack (sim → origin → edge)', () => {
  let stack: OriginStack;
  let edge: RunningEdge;
  let key: string;
  const out = mkdtempSync(join(tmpdir(), 'puerta-bench-'));

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'puerta-bench-edge-'));
    const secretsFile = join(dir, 'edge-secrets.json');
    const secret = ensureSecretsFile(secretsFile);
    const tenants: TenantsFile = {};
    putTenant(tenants, { id: 'bench', rateLimit: { requests: 10_000, windowSeconds: 60 } });
    key = (await addKey(tenants, 'bench')).key;
    const tenantsFile = join(dir, 'tenants.json');
    writeTenantsFile(tenantsFile, tenants);
    // timeScale 0.05: the Spark's 50 tok/s decode runs at 1000 tok/s, so a step takes a second.
    stack = await startOriginStack({ sim: { timeScale: 0.05 }, origin: { auth: { mode: 'edge', edgeSecret: secret } } });
    edge = await startLocalEdge({ originUrl: stack.origin.url, tenantsFile, secretsFile });
  }, 180_000);

  afterAll(async () => {
    await edge?.close();
    await stack?.close();
  });

  it('a bounded sweep writes CSV, JSON and PNG plots', async () => {
    const r = await runBench([
      '--url', edge.url, '--api-key', key, '--model', 'gpt-oss:20b', '--sim',
      '--concurrency', '1,2,4', '--duration', '5s', '--requests', '6',
      '--input-tokens', '64', '--output-tokens', '24', '--out', out, '--label', 'e2e', '--no-progress',
    ]);
    expect(r).toBeDefined();
    const { dir, files, steps } = r!;
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['itl.png', 'results.csv', 'results.json', 'throughput.png', 'ttft.png']);
    expect(steps.map((s) => [s.load, s.ok, s.requests])).toEqual([[1, 6, 6], [2, 6, 6], [4, 6, 6]]);
    for (const s of steps) {
      expect(s.ttftMs.p50).toBeGreaterThan(0);
      // The simulator sends a token about every millisecond here: on a loaded machine most of a
      // stream's tokens can share one read (an ITL of 0), but not all of them.
      expect(s.itlMs.p99).toBeGreaterThan(0);
      expect(s.totalTokPerS).toBeGreaterThan(0);
      // [[sim:tokens=N]] with N drawn in 24 ± 10 %: the count comes from the stream's usage chunk.
      expect(s.outputTokensAvg).toBeGreaterThanOrEqual(21);
      expect(s.outputTokensAvg).toBeLessThanOrEqual(27);
    }
    const rows = parse(readFileSync(join(dir, 'results.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['ttft_ms_p99', 'itl_ms_p50', 'e2e_ms_p95', 'req_output_tok_s_p50', 'total_output_tok_s', 'req_s', 'errors']));
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Record<string, any>;
    expect(json.config).toMatchObject({ model: 'gpt-oss:20b', concurrency: [1, 2, 4], apiKey: '(set)' });
    expect(JSON.stringify(json)).not.toContain(key);
    expect(json.machine.cpuCount).toBeGreaterThan(0);
    expect(json.targets[0].models).toContain('gpt-oss:20b');
    for (const png of ['throughput.png', 'ttft.png', 'itl.png']) {
      const buf = readFileSync(join(dir, png));
      expect(buf.subarray(0, 4).equals(PNG_MAGIC)).toBe(true);
      expect(statSync(join(dir, png)).size).toBeGreaterThan(10_000);
    }
  }, 120_000);

  it('overhead mode runs edge and direct interleaved and reports the ratio', async () => {
    const r = await runBench([
      '--url', edge.url, '--api-key', key, '--direct', stack.sim.url, '--direct-api', 'ollama',
      '--model', 'gpt-oss:20b', '--sim', '--concurrency', '1,2', '--duration', '5s', '--requests', '4', '--rounds', '2',
      '--output-tokens', '16', '--input-tokens', '32', '--out', out, '--label', 'overhead', '--no-progress', '--no-plots',
    ]);
    const rows = r!.overhead!;
    expect(rows.map((x) => x.load)).toEqual([1, 2]);
    for (const row of rows) {
      // Two rounds of four requests on each side.
      expect(row.path.ok).toBe(8);
      expect(row.direct.ok).toBe(8);
      expect(row.ttftRatio).toBeGreaterThan(0);
      expect(Number.isFinite(row.tputRatio)).toBe(true);
    }
    const json = JSON.parse(readFileSync(join(r!.dir, 'results.json'), 'utf8')) as { overhead: unknown[]; steps: StepSummary[] };
    expect(json.overhead).toHaveLength(2);
    expect(new Set(json.steps.map((s) => s.target))).toEqual(new Set(['path', 'direct']));
  }, 120_000);

  it('compare mode overlays finished runs', async () => {
    const a = await runBench(['--url', stack.sim.url, '--api', 'ollama', '--model', 'gpt-oss:20b', '--sim', '--concurrency', '1,2', '--requests', '3', '--output-tokens', '8', '--out', out, '--label', 'sim-20b', '--no-plots', '--no-progress']);
    const b = await runBench(['--url', stack.sim.url, '--api', 'ollama', '--model', 'llama3.2:3b', '--sim', '--concurrency', '1,2', '--requests', '3', '--output-tokens', '8', '--out', out, '--label', 'sim-3b', '--no-plots', '--no-progress']);
    const c = compareRuns([a!.dir, b!.dir], out);
    expect(c.files.every((f) => existsSync(f))).toBe(true);
    expect(() => compareRuns([out], out)).toThrow(/no results.json/);
  }, 60_000);

  it('classifies errors by kind: HTTP status, error event mid-stream, reset', async () => {
    const t = { name: 'sim', url: stack.sim.url, api: 'ollama' as const };
    const p = (content: string) => ({ messages: [{ role: 'user' as const, content }], inputTokens: 3, outputTokens: 10 });
    const o = { timeoutMs: 10_000, stepStart: performance.now() };
    expect((await sendOne(t, 'gpt-oss:20b', p('x [[sim:fault=status,status=503]]'), o)).error).toBe('http_503');
    expect((await sendOne(t, 'gpt-oss:20b', p('x [[sim:tokens=10,fault=error,after=3]]'), o)).error).toBe('stream_error');
    expect(['reset', 'truncated']).toContain((await sendOne(t, 'gpt-oss:20b', p('x [[sim:tokens=10,fault=reset,after=3]]'), o)).error);
    expect((await sendOne(t, 'no-such-model', p('x'), o)).error).toBe('http_404');
    const stalled = await sendOne(t, 'gpt-oss:20b', p('x [[sim:tokens=10,fault=stall,after=2]]'), { ...o, timeoutMs: 300 });
    expect(stalled.error).toBe('timeout');
  });
});

describe('bench pieces', () => {
  it('refuses bad flags naming the flag and what is allowed', async () => {
    await expect(runBench(['--url', 'ftp://x', '--model', 'm'])).rejects.toThrow(/--url .*http\(s\) base URL/);
    await expect(runBench(['--url', 'http://127.0.0.1:1', '--model', 'm', '--concurrency', '1,x'])).rejects.toThrow(/--concurrency .*comma-separated/);
    await expect(runBench(['--url', 'http://127.0.0.1:1', '--model', 'm', '--concurrency', '1', '--rate', '2'])).rejects.toThrow(/not both/);
    await expect(runBench(['--url', 'http://127.0.0.1:1', '--model', 'm', '--duration', 'soon'])).rejects.toThrow(/Go duration/);
    await expect(runBench(['--bogus'])).rejects.toBeInstanceOf(UsageError);
  });

  it('quotes CSV fields that hold commas and quotes', () => {
    const d = dist([1, 2, 3]);
    const s: StepSummary = {
      target: 'edge, "eu"', mode: 'concurrency', load: 1, requests: 3, ok: 1, errors: { http_503: 1, 'stream_error': 1 }, wallS: 1,
      ttftMs: d, itlMs: d, e2eMs: d, reqTokPerS: d, totalTokPerS: 1, reqPerS: 1, inputTokensAvg: 1, outputTokensAvg: 1,
    };
    const rows = parse(csvOf([s]), { columns: true }) as Array<Record<string, string>>;
    expect(rows[0]!.target).toBe('edge, "eu"');
    expect(rows[0]!.errors).toBe('http_503:1 stream_error:1');
    expect(csvOf([s])).toContain('"edge, ""eu"""');
  });

  it('draws lengths within mean ± spread and prompts of the asked size', () => {
    const rnd = mulberry32(7);
    const xs = Array.from({ length: 1000 }, () => drawLength(rnd, 200, 0.25));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(150);
    expect(Math.max(...xs)).toBeLessThanOrEqual(250);
    const p = syntheticPrompts({ inputTokens: 100, inputSpread: 0, outputTokens: 10, outputSpread: 0, seed: 1, sim: true }).next();
    expect(p.messages[0]!.content.split(' ').length).toBe(101);
    expect(p.messages[0]!.content).toMatch(/\[\[sim:tokens=10\]\]$/);
  });

  it('plots with nice ticks and escapes labels', () => {
    expect(niceTicks(1355)).toEqual([0, 250, 500, 750, 1000, 1250, 1500]);
    const svg = lineChart({ title: 'a <b>', xLabel: 'x', yLabel: 'y', series: [{ name: 's&p', points: [[1, 1], [2, 4], [8, 2]] }] });
    expect(svg).toContain('a &lt;b&gt;');
    expect(svg).toContain('s&amp;p');
    expect(svg).toContain('(log scale)');
  });
});
