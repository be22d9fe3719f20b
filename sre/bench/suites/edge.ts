/**
 * `npm run bench:edge`: what the edge costs per relayed chunk and what it adds to a stream, per
 * local runtime (the Fastly build in Viceroy, the Workers build in workerd), against the origin
 * called directly, in one run.
 *
 * The simulator and the built origin (edge auth mode) run as their own processes; the edges run
 * in front of that origin. At each concurrency level the same streaming load goes direct →
 * Viceroy → workerd, so drift on this shared machine hits every path alike. For each step the CPU
 * time (its threads' time on a CPU, sre/bench/lib/proc-stat.ts) of the edge process and of the origin process is
 * read before and after and divided by the SSE events the clients received: CPU-ms per 1,000
 * relayed chunks. Direct requests are signed by the bench (outside the timed span), so both paths
 * pay the origin's signature check.
 *
 *   npm run bench:edge -- [--streams 1,64,256] [--tokens 500] [--rate 100] [--rounds 1] [--step-timeout 120]
 *
 * Figures, not pass/fail. Local runtimes are not the production network: this shows the edge's
 * own work (auth, limits, signing, the stream guard's relay), not a POP's RTT. Viceroy also
 * instantiates the wasm per request; with many tokens per stream that cost is spread thin, and
 * the CPU per stream column shows it.
 */
import { setMaxListeners } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { addKey, ensureSecretsFile, putTenant, writeTenantsFile } from '../../../edge/cli/tenants-file.ts';
import { localRuntime } from '../../../edge/local/index.ts';
import type { RunningEdge } from '../../../edge/local/types.ts';
import { startViceroyEdge } from '../../../edge/local/viceroy.ts';
import { startWorkerdEdge } from '../../../edge/local/workerd.ts';
import { presets } from '../../../sim/presets.ts';
import { importSigningKey, signOutgoing } from '../../../shared/signing.ts';
import type { TenantsFile } from '../../../shared/tenants.ts';
import { buildOrigin, freePort, startOriginProcess, startTsProcess, type Child } from '../lib/processes.ts';
import { cpuMs, withChildren } from '../lib/proc-stat.ts';
import { fmtMs, percentile, printTable, sortedCopy } from '../lib/stats.ts';
import { cliArgs } from '../../../shared/cli.ts';

const USAGE = `usage: npm run bench:edge -- [flags]

  what the edge (Viceroy and workerd) costs per relayed chunk and adds to TTFT and chunks/s, vs the
  origin directly (edge/README.md); figures, not pass/fail

  --streams LIST       concurrent streams per step (default 1,64,256)
  --tokens N           tokens per stream (default 500)
  --rate N             tokens/s per stream (default 100)
  --rounds N           rounds of each step (default 1)
  --step-timeout S     seconds a step may take (default 120)
  --help               this text`;

const { values } = cliArgs({
  name: 'bench:edge',
  usage: USAGE,
  options: {
    streams: { type: 'string', default: '1,64,256' },
    tokens: { type: 'string', default: '500' },
    rate: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '1' },
    'step-timeout': { type: 'string', default: '120' },
  },
});
const levels = values.streams.split(',').map(Number);
const TOKENS = Number(values.tokens);
const RATE = Number(values.rate);
const ROUNDS = Number(values.rounds);
const STEP_TIMEOUT_MS = Number(values['step-timeout']) * 1000;
for (const [name, v] of [['streams', Math.min(...levels)], ['tokens', TOKENS], ['rate', RATE], ['rounds', ROUNDS], ['step-timeout', STEP_TIMEOUT_MS]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name}: expected whole numbers ≥ 1, got ${String(v)}`);
}
const MODEL = 'bench-chat:latest';
const PATH = '/v1/chat/completions';
/** At concurrency 1 a step still runs this many streams, one after another, for TTFT samples. */
const MIN_STREAMS_PER_STEP = 3;

interface Target {
  name: string;
  base: string;
  /** The process whose CPU is the edge's (undefined for direct). */
  edgePid: number | undefined;
  headers: (payload: string) => Promise<Record<string, string>>;
}

interface StepResult {
  ttft: number[];
  events: number;
  streams: number;
  errors: number;
  /** What went wrong, by kind: `HTTP 429`, `error event: upstream_timeout`, `no [DONE]`, `exception: UND_ERR_…`. */
  errorKinds: Record<string, number>;
  wallMs: number;
  edgeCpuMs: number;
  originCpuMs: number;
}

const agent = new Agent({ connections: 4096, keepAliveTimeout: 30_000, headersTimeout: 120_000, bodyTimeout: 120_000 });

const payload = (i: number) =>
  JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: `bench ${i} [[sim:tokens=${TOKENS}]]` }] });

/** One stream: TTFT to the first `data:` event (keepalive comments do not count) and its events. */
async function oneStream(t: Target, i: number, out: StepResult, signal: AbortSignal): Promise<void> {
  const body = payload(i);
  const headers = await t.headers(body);
  const t0 = performance.now();
  let events = 0;
  // The end of the stream, to tell how one that failed ended.
  let last = '';
  const fail = (kind: string) => {
    out.errors++;
    out.errorKinds[kind] = (out.errorKinds[kind] ?? 0) + 1;
  };
  try {
    const res = await request(t.base + PATH, { method: 'POST', body, headers, dispatcher: agent, signal });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return fail(`HTTP ${res.statusCode}`);
    }
    for await (const chunk of res.body) {
      const text = (chunk as Buffer).toString('latin1');
      let n = 0;
      for (let k = text.indexOf('data: '); k !== -1; k = text.indexOf('data: ', k + 6)) n++;
      if (n > 0 && events === 0) out.ttft.push(performance.now() - t0);
      events += n;
      last = (last + text).slice(-1024);
    }
    if (!last.includes('data: [DONE]')) {
      const code = /event: error\ndata: .*"code":"([^"]+)"/.exec(last)?.[1];
      fail(code ? `error event: ${code}` : 'no [DONE]');
    }
  } catch (e) {
    fail(`exception: ${(e as { code?: string }).code ?? (e as Error).name}`);
  } finally {
    out.events += events;
    out.streams++;
  }
}

/** `n` clients, each running streams back to back, for `streams` streams in all; bounded in time. */
async function step(t: Target, n: number, originPid: number): Promise<StepResult> {
  const total = Math.max(n * ROUNDS, MIN_STREAMS_PER_STEP);
  const out: StepResult = { ttft: [], events: 0, streams: 0, errors: 0, errorKinds: {}, wallMs: 0, edgeCpuMs: 0, originCpuMs: 0 };
  const signal = AbortSignal.timeout(STEP_TIMEOUT_MS);
  // Every stream of the step listens on this one signal.
  setMaxListeners(0, signal);
  let next = 0;
  const client = async () => {
    while (next < total && !signal.aborted) await oneStream(t, next++, out, signal);
  };
  const edge0 = t.edgePid ? cpuMs(t.edgePid) : 0;
  const origin0 = cpuMs(originPid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, client));
  out.wallMs = performance.now() - t0;
  out.edgeCpuMs = t.edgePid ? cpuMs(t.edgePid) - edge0 : 0;
  out.originCpuMs = cpuMs(originPid) - origin0;
  if (signal.aborted) console.log(`  ${t.name} at ${n} streams: stopped after ${STEP_TIMEOUT_MS / 1000} s (--step-timeout)`);
  if (out.errors > 0) console.log(`  ${t.name} at ${n} streams: ${out.errors} failed: ${Object.entries(out.errorKinds).map(([k, v]) => `${v}× ${k}`).join(', ')}`);
  return out;
}

/** The child of this process running `comm` that appeared since `before` (Miniflare spawns workerd itself). */
function newChildNamed(comm: string, before: ReadonlySet<number>): number {
  const pids = withChildren(process.pid).filter((p) => p !== process.pid && !before.has(p));
  const pid = pids.find((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm;
    } catch {
      return false;
    }
  });
  if (pid === undefined) throw new Error(`no ${comm} process started by this benchmark was found in /proc`);
  return pid;
}

/** Stops by PID whatever a runner's own close left behind (checked by name: a PID can be reused). */
function killIfAlive(pid: number, comm: string): void {
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

const perK = (cpu: number, events: number) => (events > 0 ? (cpu / events) * 1000 : NaN);
const fmt1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const fmt2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'puerta-bench-edge-'));
  const secretsFile = join(dir, 'edge-secrets.json');
  const secret = ensureSecretsFile(secretsFile);
  const data: TenantsFile = {};
  putTenant(data, { id: 'bench', rateLimit: { requests: 1_000_000, windowSeconds: 60 } });
  const { key } = await addKey(data, 'bench');
  const tenantsFile = join(dir, 'tenants.json');
  writeTenantsFile(tenantsFile, data);

  // A slot per stream and no box-wide slowdown: the simulator is never the bottleneck.
  const maxStreams = Math.max(...levels);
  const model = { ...presets['llama3.2-3b'], name: MODEL, numParallel: maxStreams, decodeTokensPerSec: RATE, baseLatencyMs: 30, computeWeight: 0 };
  const simOpts = { port: await freePort(), models: [model], preloaded: [MODEL], boxCapacity: 1e9, timeScale: 1, maxQueue: 100_000 };
  const children: Child[] = [];
  const edges: Array<{ edge: RunningEdge; pid: number; comm: string }> = [];
  try {
    const sim = await startTsProcess('sre/bench/lib/sim-process.ts', [JSON.stringify(simOpts)], {}, (l) => /^SIM_URL (\S+)/.exec(l)?.[1]);
    children.push(sim);
    buildOrigin();
    const origin = await startOriginProcess({
      OLLAMA_URL: sim.url,
      UPSTREAM_MODELS: MODEL,
      OLLAMA_NUM_PARALLEL: String(maxStreams),
      ADMISSION_MAX_QUEUE: String(maxStreams),
      AUTH_MODE: 'edge',
      EDGE_SIGNING_SECRET: secret,
      SIGNATURE_MAX_SKEW_MS: '60000',
      // The bench's one tenant may use every slot (sized to the concurrency): it measures the relay, not the share.
      ADMISSION_TENANT_SHARE: '1',
    });
    children.push(origin);

    const signingKey = await importSigningKey(secret);
    const targets: Target[] = [
      {
        name: 'direct to origin',
        base: origin.url,
        edgePid: undefined,
        headers: async (body) => {
          const requestId = 'req_' + crypto.randomUUID().replace(/-/g, '');
          const signed = await signOutgoing(signingKey, { method: 'POST', path: PATH, body, tenant: 'bench', requestId, country: 'DE' });
          return { ...signed, 'x-request-id': requestId, 'content-type': 'application/json' };
        },
      },
    ];
    const viaEdge = (edge: RunningEdge, comm: string, before: ReadonlySet<number>, name: string) => {
      const pid = newChildNamed(comm, before);
      edges.push({ edge, pid, comm });
      targets.push({ name, base: edge.url, edgePid: pid, headers: async () => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' }) });
    };
    const config = { LOG_REQUESTS: 'false' };
    if (localRuntime('auto') === 'fastly') {
      const before = new Set(withChildren(process.pid));
      const edge = await startViceroyEdge({ originUrl: origin.url, tenantsFile, secretsFile, config });
      viaEdge(edge, 'viceroy', before, 'Viceroy (Fastly build)');
    } else {
      console.log('Viceroy not built (bash scripts/ensure-system-deps.sh viceroy): measuring workerd only');
    }
    const before = new Set(withChildren(process.pid));
    const workerd = await startWorkerdEdge({ originUrl: origin.url, tenantsFile, signingSecret: secret, vars: config, bindingLimit: { limit: 1_000_000, period: 60 } });
    viaEdge(workerd, 'workerd', before, 'workerd (Workers build)');

    // Warm-up: connection pools, JIT, the wasm cache, the simulator's first streams.
    for (const t of targets) await step(t, 4, origin.pid);

    const rows: Array<Array<string | number>> = [];
    const ratios: Array<Array<string | number>> = [];
    const raw: Array<{ concurrency: number; path: string } & StepResult> = [];
    for (const n of levels) {
      const results = new Map<Target, StepResult>();
      for (const t of targets) {
        const r = await step(t, n, origin.pid);
        results.set(t, r);
        raw.push({ concurrency: n, path: t.name, ...r });
      }
      const direct = results.get(targets[0]!)!;
      const dTtft = sortedCopy(direct.ttft);
      const directOriginPerK = perK(direct.originCpuMs, direct.events);
      const directRate = direct.events / (direct.wallMs / 1000);
      for (const [t, r] of results) {
        const ttft = sortedCopy(r.ttft);
        const edgePerK = perK(r.edgeCpuMs, r.events);
        rows.push([
          n,
          t.name,
          r.streams,
          r.errors,
          r.events,
          (r.events / (r.wallMs / 1000)).toFixed(0),
          fmtMs(percentile(ttft, 50)),
          fmtMs(percentile(ttft, 99)),
          t.edgePid ? fmt1(edgePerK) : '-',
          t.edgePid ? fmt1(r.edgeCpuMs / r.streams) : '-',
          fmt1(perK(r.originCpuMs, r.events)),
        ]);
        if (!t.edgePid) continue;
        ratios.push([
          n,
          t.name,
          fmt2(edgePerK / directOriginPerK),
          fmt2(r.events / (r.wallMs / 1000) / directRate),
          fmtMs(percentile(ttft, 50) - percentile(dTtft, 50)),
          fmtMs(percentile(ttft, 99) - percentile(dTtft, 99)),
        ]);
      }
    }
    console.log(`\nbench:edge — ${TOKENS} tokens per stream at ${RATE} tokens/s, concurrency ${levels.join(', ')} (× ${ROUNDS} rounds), same run; chunks = SSE events received\n`);
    printTable(['streams', 'path', 'n', 'errors', 'chunks', 'chunks/s', 'TTFT p50 ms', 'TTFT p99 ms', 'edge CPU-ms/1k chunks', 'edge CPU-ms/stream', 'origin CPU-ms/1k chunks'], rows);
    console.log('\nThe edge against the direct baseline (same level, same run):\n');
    printTable(['streams', 'edge', 'edge CPU/chunk ÷ origin CPU/chunk (direct)', 'chunks/s ratio', 'ΔTTFT p50 ms', 'ΔTTFT p99 ms'], ratios);
    mkdirSync('bench-results', { recursive: true });
    const out = join('bench-results', `edge-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(out, JSON.stringify({ tokens: TOKENS, rate: RATE, rounds: ROUNDS, levels, steps: raw }, null, 1));
    console.log(`\nraw figures: ${out}`);
  } finally {
    await agent.close();
    for (const { edge, pid, comm } of edges) {
      await edge.close();
      killIfAlive(pid, comm);
    }
    await Promise.all(children.map((c) => c.stop()));
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
