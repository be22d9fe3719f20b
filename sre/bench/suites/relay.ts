/**
 * `npm run bench:relay`: what a relayed chunk and an open stream cost. The same streaming load
 * goes, in one run, to these paths:
 *
 *   direct       the simulator's own OpenAI layer (its CPU and memory are the engine's, shown as such)
 *   nginx        nginx with proxy_buffering off in front of the simulator: the reference relay
 *   node bare    floors: a TCP splice and a plain node:http pipe in Node (sre/bench/lib/bare-relay.ts):
 *                what the runtime costs before any of the origin's work
 *   litellm      LiteLLM proxy, one worker, as a plain relay: the other LLM gateway, for comparison
 *                (installed on request by scripts/ensure-litellm.sh; skipped with a line when absent)
 *   origin lean  the built origin with the minimum on: an OpenAI-kind upstream (events pass
 *                through), auth off, no audit, no Redis, no metrics
 *   origin full  everything on: the Ollama-native upstream translated to OpenAI chat, edge-signed
 *                requests, audit to a file, Redis quotas and shared admission slots, metrics
 *
 * Per path and concurrency it prints TTFT, read gaps, chunks/s offered and delivered, errors and
 * the relay process's CPU per 1,000 chunks (its threads' CPU time from /proc, per chunk so that a shared
 * 2-core machine, where generator and relay compete, still compares paths fairly); then, in a
 * separate phase, RSS per open stream with 2,048 slow streams held open (with --held, for Node
 * relays also after a full collection). Ratios are to nginx in the same run. Figures, not
 * pass/fail. --compare runs another checkout's origins beside this one's: before and after in one run.
 *
 *   npm run bench:relay -- [--streams 1,128,512,2048] [--rate 20] [--seconds 4] [--workers 2]
 *                          [--hold 2048] [--paths direct,nginx,bare-tcp,bare-http,litellm,lean,full] [--json out.json]
 *                          [--cpu-prof DIR]   (V8 profiles of the Node relays, top frames printed)
 *                          [--compare DIR]    (lean and full also from another checkout's build: before/after in one run)
 *                          [--warmup N] [--held]
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { presets } from '../../../sim/presets.ts';
import { originFootprints } from '../lib/footprint.ts';
import { errorTotal, LoadGenerator, mergeErrors, type StepResult } from '../lib/load-generator.ts';
import type { ErrorCounts, SignAs } from '../lib/load-protocol.ts';
import { startLiteLLM } from '../lib/litellm-process.ts';
import { BENCH_LISTEN_BACKLOG, buildOrigin, freePort, repoRoot, startNginx, startOriginProcess, startTsProcess, unitNodeFlags, type Child } from '../lib/processes.ts';
import { profilesIn, topFrames } from '../lib/cpu-profile.ts';
import { cpuMs, machineTicks, rssOf, sum, withChildren } from '../lib/proc-stat.ts';
import { startBenchRedis } from '../lib/redis-process.ts';
import { forcedGc, heapSpaces, inspectPortArgs, type GcHandle, type HeapSpaces } from '../lib/forced-gc.ts';
import { fmtMs, percentile, printTable, sortedCopy } from '../lib/stats.ts';
import { pooledSteps, STILL_WARMING } from '../lib/pooled-levels.ts';
import { machineFacts } from '../machine.ts';
import { cliArgs } from '../../../shared/cli.ts';

const USAGE = `usage: npm run bench:relay -- [flags]

  what a relayed chunk and an open stream cost through direct, nginx, bare Node, LiteLLM and the
  origin (lean and full); figures, not pass/fail (sre/README.md)

  --streams LIST        concurrent streams per step (default 1,128,512,2048)
  --rate N              tokens/s per stream (default 20)
  --seconds N           seconds per stream (default 4)
  --workers N           load generator processes (default 2)
  --hold N              slow streams held open for the RSS phase (default 2048)
  --hold-interval S     seconds between their tokens (default 4)
  --paths LIST          direct,nginx,bare-tcp,bare-http,litellm,lean,full (default: all)
  --json FILE           also write the figures as JSON
  --cpu-prof DIR        V8 profiles of the Node relays (bare floors and origins), top frames printed
  --node-args ARGS      extra node flags for the origins (--node-args=--max-semi-space-size=2); every
                        Node relay already runs with the flags of the origin's systemd unit
  --warmup N            streams per path before anything is measured (default 32); 8192
                        bring every path to its steady state first (the pooled table's
                        late/early column says whether a path was still warming up)
  --held                also what the open streams hold after a full collection (Node relays,
                        through an inspector port; one collection at warm-up, so the plain RSS
                        figure starts from a collected heap: compare it with runs without --held),
                        and what the plain RSS growth is made of (heap spaces, external, native)
  --compare DIR         another checkout of Puerta, built there (npm run build): its origin runs
                        as "origin lean (compare)" and "origin full (compare)" beside this one's,
                        configured the same, so before and after are measured in one run
  --help                this text`;

/** A ratio as printed; `missing` where there is none (no floor in the run, no finite figure). */
const ratio = (x: number | undefined, missing = ''): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(2) : missing);

const { values } = cliArgs({
  name: 'bench:relay',
  usage: USAGE,
  options: {
    streams: { type: 'string', default: '1,128,512,2048' },
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '4' },
    workers: { type: 'string', default: '2' },
    hold: { type: 'string', default: '2048' },
    'hold-interval': { type: 'string', default: '4' },
    paths: { type: 'string', default: 'direct,nginx,bare-tcp,bare-http,litellm,lean,full' },
    json: { type: 'string' },
    'cpu-prof': { type: 'string' },
    /** Extra node flags for both origins, e.g. `--node-args=--max-semi-space-size=2`. */
    'node-args': { type: 'string', default: '' },
    compare: { type: 'string' },
    held: { type: 'boolean', default: false },
    warmup: { type: 'string', default: '32' },
  },
});
const levels = values.streams.split(',').map(Number);
const rate = Number(values.rate);
const tokens = Math.max(2, Math.round(rate * Number(values.seconds)));
const holdStreams = Number(values.hold);
const holdIntervalS = Number(values['hold-interval']);
const wanted = new Set(values.paths.split(',').map((s) => s.trim()));
const CHAT = 'bench-chat:latest';
/** A slow model for the memory phase: a token every few seconds, answers far longer than the phase. */
const IDLE = 'bench-idle:latest';
const SECRET = 'bench-'.repeat(8);
const LITELLM = 'litellm';
const TENANT = 'bench';
/** Busiest generator worker at or above this share of a core: the generator was the limit. */
const GEN_SATURATED = 0.9;
/** Whole machine at or above this busy share: relay, engine and generator shared too little CPU. */
const MACHINE_SATURATED = 0.95;

interface Path {
  name: string;
  url: string;
  /** Processes whose CPU and RSS are the relay's (nginx: master + worker; litellm: its process and children; direct: the engine itself). */
  relayPids: number[];
  sign?: SignAs;
  /** A Node relay: its inspector port, for the memory figures after a full collection. */
  gc?: GcHandle;
}

interface StepFigures {
  path: string;
  streams: number;
  ttftP50: number;
  ttftP99: number;
  gapP50: number;
  gapP99: number;
  offeredChunksPerSec: number;
  chunksPerSec: number;
  errors: number;
  errorKinds: ErrorCounts;
  relayCpuMsPer1kChunks: number;
  /** The relay's CPU over the step per stream: with a few tokens per stream (`--seconds 0.1`), what one request costs. */
  relayCpuMsPerStream: number;
  engineCpuMsPer1kChunks: number;
  busiestGeneratorCore: number;
  machineBusy: number;
  /** What capped the step, when something other than the path did. */
  limit: 'generator' | 'machine' | '';
}

interface RssFigures {
  path: string;
  streams: number;
  opened: number;
  errors: number;
  errorKinds: ErrorCounts;
  rssBeforeMiB: number;
  rssOpenMiB: number;
  kibPerStream: number;
  /** Node relays: RSS over the same baseline once a full collection has run with the streams open. */
  kibPerStreamAfterGc?: number;
  /** Node relays: JS heap and external memory the open streams hold (both readings after a full collection). */
  heldKibPerStream?: number;
  /** Node relays: what the plain RSS growth is made of, per stream (heap spaces and external memory, not collected). */
  growth?: Record<keyof HeapSpaces | 'other', number>;
}

async function measureStep(gen: LoadGenerator, p: Path, n: number, simPid: number): Promise<StepFigures> {
  const relay0 = sum(p.relayPids, cpuMs);
  const engine0 = cpuMs(simPid);
  const m0 = machineTicks();
  const r: StepResult = await gen.run({ base: p.url, models: [CHAT], tokens, n, deadlineMs: (tokens / rate) * 1000 + 90_000, ...(p.sign ? { sign: p.sign } : {}) });
  const m1 = machineTicks();
  const relayMs = sum(p.relayPids, cpuMs) - relay0;
  const engineMs = cpuMs(simPid) - engine0;
  const ttft = sortedCopy(r.ttft);
  const gaps = sortedCopy(r.gaps);
  const errors = errorTotal(r.errors);
  const ok = Math.max(1, n - errors);
  // What the engine would send at `rate` if nothing in the path slowed it: every event of a
  // stream (role, tokens, finish, [DONE]) over the stream's nominal length.
  const offered = (n * (r.events / ok) * rate) / tokens;
  const delivered = r.events / (r.wallMs / 1000);
  const machineBusy = (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total);
  const per1k = (ms: number) => (r.events > 0 ? (ms / r.events) * 1000 : NaN);
  return {
    path: p.name,
    streams: n,
    ttftP50: percentile(ttft, 50),
    ttftP99: percentile(ttft, 99),
    gapP50: percentile(gaps, 50),
    gapP99: percentile(gaps, 99),
    offeredChunksPerSec: offered,
    chunksPerSec: delivered,
    errors,
    errorKinds: r.errors,
    relayCpuMsPer1kChunks: per1k(relayMs),
    relayCpuMsPerStream: relayMs / n,
    engineCpuMsPer1kChunks: per1k(engineMs),
    busiestGeneratorCore: r.busiestWorkerCore,
    machineBusy,
    limit: r.busiestWorkerCore >= GEN_SATURATED ? 'generator' : machineBusy >= MACHINE_SATURATED ? 'machine' : '',
  };
}

/** Holds `n` slow streams open and reads the relay's RSS once every one is streaming. */
async function measureRss(gen: LoadGenerator, p: Path, n: number): Promise<RssFigures> {
  const before = sum(p.relayPids, rssOf);
  const spacesBefore = p.gc ? await heapSpaces(p.gc) : undefined;
  const held = await gen.hold({ base: p.url, models: [IDLE], tokens: 100_000, n, deadlineMs: 120_000, ...(p.sign ? { sign: p.sign } : {}) });
  // Let the streams settle into their steady state (first tokens relayed, buffers sized).
  await sleep(Math.max(2_000, holdIntervalS * 1000));
  const open = sum(p.relayPids, rssOf);
  const spacesOpen = p.gc ? await heapSpaces(p.gc) : undefined;
  // Node relays: garbage not yet collected (young generation, old garbage awaiting a mark) counts
  // in the figure above; these read again after a full collection, streams open and then gone.
  const gcOpen = p.gc ? await forcedGc(p.gc) : undefined;
  const rssOpenGc = p.gc ? sum(p.relayPids, rssOf) : undefined;
  const end = await held.release();
  // The cancellations (thousands of upstream aborts) finish before the next measurement starts.
  await sleep(3_000);
  const gcGone = p.gc ? await forcedGc(p.gc) : undefined;
  return {
    path: p.name,
    streams: n,
    opened: held.open.opened,
    errors: errorTotal(held.open.errors) + errorTotal(end.errors),
    errorKinds: mergeErrors({ ...held.open.errors }, end.errors),
    rssBeforeMiB: before / 1048576,
    rssOpenMiB: open / 1048576,
    kibPerStream: (open - before) / n / 1024,
    ...(rssOpenGc !== undefined ? { kibPerStreamAfterGc: (rssOpenGc - before) / n / 1024 } : {}),
    ...(gcOpen && gcGone ? { heldKibPerStream: (gcOpen.heapUsed + gcOpen.external - gcGone.heapUsed - gcGone.external) / n / 1024 } : {}),
    ...(spacesBefore && spacesOpen ? { growth: growthOf(spacesBefore, spacesOpen, open - before, n) } : {}),
  };
}

/** The RSS growth over `n` streams split by where it is, KiB per stream; `other` is the rest (native: sockets, malloc). */
function growthOf(a: HeapSpaces, b: HeapSpaces, rssGrowth: number, n: number): Record<keyof HeapSpaces | 'other', number> {
  const kib = (bytes: number) => bytes / n / 1024;
  const keys = ['newSpace', 'oldSpace', 'largeObjects', 'code', 'external'] as const;
  const out = { other: 0 } as Record<keyof HeapSpaces | 'other', number>;
  let inHeap = 0;
  for (const k of keys) {
    out[k] = kib(b[k] - a[k]);
    inHeap += b[k] - a[k];
  }
  out.other = kib(rssGrowth - inHeap);
  return out;
}

/** `--compare DIR`: the other checkout's built origin. */
const compareBundle = values.compare ? join(values.compare, 'dist/origin/main.js') : undefined;
if (compareBundle && !existsSync(compareBundle)) throw new Error(`--compare ${values.compare}: no ${compareBundle} (run npm run build there)`);

/** `--held`: an inspector port per Node relay (nothing listens until the bench asks). */
async function gcPort(): Promise<{ port: number; args: string[] }> {
  return values.held ? inspectPortArgs() : { port: 0, args: [] };
}

function gcOf(pid: number, inspect: { port: number }): { gc?: GcHandle } {
  return inspect.port ? { gc: { pid, port: inspect.port } } : {};
}

/**
 * `--cpu-prof DIR`: a Node relay writes a V8 CPU profile into DIR/<name> when it exits.
 * `--node-args` are the origins' only (`origin`); the floors run with the node flags the
 * origin's unit gives it (its own come from startOriginProcess), so a ratio to a floor is the
 * code's and not the flags' (without the memory reducer a floor costs less too).
 */
function profileArgs(name: string, inspect: string[], origin = true): string[] {
  const extra = origin ? values['node-args'].split(' ').filter(Boolean) : unitNodeFlags();
  return [...extra, ...inspect, ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(values['cpu-prof'], name)] : [])];
}

function originEnv(simUrl: string, slots: number, extra: Record<string, string>): Record<string, string> {
  return {
    OLLAMA_URL: simUrl,
    UPSTREAM_MODELS: `${CHAT},${IDLE}`,
    // The engine has a slot per stream: nothing queues, only the relay is measured.
    OLLAMA_NUM_PARALLEL: String(slots),
    ADMISSION_MAX_QUEUE: String(slots),
    // Longer than any step: a keepalive is not a chunk.
    KEEPALIVE_INTERVAL_MS: '60000',
    LISTEN_BACKLOG: String(BENCH_LISTEN_BACKLOG),
    ...extra,
  };
}

async function main(): Promise<void> {
  const slots = Math.max(...levels, holdStreams);
  const chat = { ...presets['llama3.2-3b'], name: CHAT, numParallel: slots, decodeTokensPerSec: rate, baseLatencyMs: 30, computeWeight: 0 };
  const idle = { ...chat, name: IDLE, decodeTokensPerSec: 1 / holdIntervalS };
  const simOpts = { port: await freePort(), models: [chat, idle], preloaded: [CHAT, IDLE], boxCapacity: 1e9, timeScale: 1, maxQueue: 100_000 };
  const children: Child[] = [];
  /** The Node relays whose --cpu-prof profiles are read (the bare floors and the origins), stopped before the fresh origin's footprint. */
  const profiled: Array<{ name: string; child: Child }> = [];
  const auditDir = mkdtempSync(join(tmpdir(), 'puerta-bench-audit-'));
  let gen: LoadGenerator | undefined;
  // Interrupted (Ctrl-C, a closed pipe): every process started here is still stopped by its PID.
  const interrupted = () => {
    for (const c of children) c.proc.kill('SIGTERM');
    rmSync(auditDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  process.stdout.on('error', interrupted);
  try {
    const sim = await startTsProcess('sre/bench/lib/sim-process.ts', [JSON.stringify(simOpts)], {}, (l) => /^SIM_URL (\S+)/.exec(l)?.[1]);
    children.push(sim);
    buildOrigin();
    const paths: Path[] = [];
    if (wanted.has('direct')) paths.push({ name: 'direct (engine)', url: sim.url, relayPids: [sim.pid] });
    if (wanted.has('nginx')) {
      const nginx = await startNginx(Number(new URL(sim.url).port));
      if (nginx) {
        children.push(nginx);
        paths.push({ name: 'nginx', url: nginx.url, relayPids: withChildren(nginx.pid) });
      } else console.log('nginx not found (scripts/ensure-system-deps.sh nginx installs it): nginx path and ratios skipped');
    }
    for (const kind of ['undici', 'http', 'http-raw', 'tcp', 'dispatch', 'undici-raw'] as const) {
      if (!wanted.has(`bare-${kind}`)) continue;
      const inspect = await gcPort();
      const bare = await startTsProcess('sre/bench/lib/bare-relay.ts', [sim.url, kind], {}, (l) => /^BARE_URL (\S+)/.exec(l)?.[1], profileArgs(`bare-${kind}`, inspect.args, false));
      children.push(bare);
      profiled.push({ name: `bare-${kind}`, child: bare });
      paths.push({ name: `node bare (${kind})`, url: bare.url, relayPids: [bare.pid], ...gcOf(bare.pid, inspect) });
    }
    if (wanted.has(LITELLM)) {
      const litellm = await startLiteLLM(repoRoot, sim.url, [CHAT, IDLE], slots);
      if (litellm) {
        children.push(litellm);
        paths.push({ name: LITELLM, url: litellm.url, relayPids: withChildren(litellm.pid) });
      } else console.log('litellm not installed (scripts/ensure-litellm.sh installs it): litellm path skipped');
    }
    // This checkout's origin, then (with --compare) the other build's, configured alike.
    const builds = [{ suffix: '', bundle: undefined as string | undefined }, ...(compareBundle ? [{ suffix: ' (compare)', bundle: compareBundle }] : [])];
    const redis = wanted.has('full') ? await startBenchRedis() : undefined;
    if (redis) children.push(redis);
    for (const { suffix, bundle } of builds) {
      const tag = suffix ? '-compare' : '';
      if (wanted.has('lean')) {
        const inspect = await gcPort();
        const lean = await startOriginProcess(originEnv(sim.url, slots, { UPSTREAM_KIND: 'openai', AUTH_MODE: 'none', METRICS_ENABLED: 'false' }), 'built', profileArgs(`lean${tag}`, inspect.args), bundle);
        children.push(lean);
        profiled.push({ name: `lean${tag}`, child: lean });
        paths.push({ name: `origin lean${suffix}`, url: lean.url, relayPids: [lean.pid], ...gcOf(lean.pid, inspect) });
      }
      if (redis) {
        const inspect = await gcPort();
        const full = await startOriginProcess(
          originEnv(sim.url, slots, {
            UPSTREAM_KIND: 'ollama',
            AUTH_MODE: 'edge',
            EDGE_SIGNING_SECRET: SECRET,
            AUDIT_DIR: auditDir,
            REDIS_URL: redis.url,
            // Each build its own keys: the two share one Redis but not their quotas or slots.
            REDIS_KEY_PREFIX: `puerta${tag}:`,
            QUOTA_STORE: 'redis',
            // Limits so high they never bite, so every request still takes the full quota path.
            QUOTA_REQUESTS_PER_MINUTE: '100000000',
            QUOTA_TOKENS_PER_MINUTE: '100000000000',
            QUOTA_CONCURRENT_STREAMS: '1000000',
            ADMISSION_SCOPE: 'redis',
            // The bench's one tenant may use every slot (sized to the concurrency), as lean's may.
            ADMISSION_TENANT_SHARE: '1',
            METRICS_ENABLED: 'true',
          }),
          'built',
          profileArgs(`full${tag}`, inspect.args),
          bundle,
        );
        children.push(full);
        profiled.push({ name: `full${tag}`, child: full });
        paths.push({ name: `origin full${suffix}`, url: full.url, relayPids: [full.pid], sign: { secret: SECRET, tenant: TENANT }, ...gcOf(full.pid, inspect) });
      }
    }
    gen = await LoadGenerator.start(Number(values.workers));

    // Warm-up: connection pools, JIT, every path's first streams.
    // --warmup N: in rounds no larger than the largest step, every path alike, and the paths in
    // turn within each round: warmed one after another, a path's figure depended on its place.
    const warmup = Number(values.warmup);
    for (let done = 0; done < warmup; done += slots) {
      for (const p of paths) {
        await gen.run({ base: p.url, models: [CHAT], tokens: 4, n: Math.min(slots, warmup - done), deadlineMs: 60_000, ...(p.sign ? { sign: p.sign } : {}) });
      }
    }
    // --held: each Node relay's inspector opened and one collection run now, so what that costs
    // once (the inspector's own state) is not counted against the streams held later.
    for (const p of paths) if (p.gc) await forcedGc(p.gc);

    const facts = machineFacts(repoRoot);
    console.log(`\nbench:relay — ${tokens} tokens per stream at ${rate} tokens/s, concurrency ${levels.join(', ')}, ${gen.pids.length} generator processes`);
    console.log(`machine: ${facts.cpuCount} × ${facts.cpuModel}, load ${facts.loadAvg.join(' ')}; ms unless noted\n`);

    // Idle cost (timers, health polls, GC): what the CPU column carries at low load regardless of chunks.
    const idle0 = paths.map((p) => sum(p.relayPids, cpuMs));
    await sleep(3_000);
    const idleCpuMsPerSec = Object.fromEntries(paths.map((p, i) => [p.name, (sum(p.relayPids, cpuMs) - idle0[i]!) / 3]));
    console.log(`idle CPU, ms per second: ${paths.map((p) => `${p.name} ${idleCpuMsPerSec[p.name]!.toFixed(1)}`).join(', ')}`);

    // Memory first, while every process is fresh: a heap grown (and not yet given back) by the
    // throughput steps would hide the per-stream figure.
    const rss: RssFigures[] = [];
    if (holdStreams > 0) {
      for (const p of paths) rss.push(await measureRss(gen, p, holdStreams));
      console.log(`\nRSS with ${holdStreams} open streams (a token every ${holdIntervalS} s), relay process(es) only:\n`);
      const kib = (x: number | undefined) => (x === undefined ? '' : x.toFixed(1));
      printTable(
        ['path', 'opened', 'errors', 'RSS before MiB', 'RSS open MiB', 'KiB/stream', 'after GC', 'held'],
        rss.map((r) => [r.path, r.opened, r.errors, r.rssBeforeMiB.toFixed(1), r.rssOpenMiB.toFixed(1), r.kibPerStream.toFixed(1), kib(r.kibPerStreamAfterGc), kib(r.heldKibPerStream)]),
      );
      console.log(
        '\nKiB/stream: RSS growth over the streams. Node relays, read again after a full collection with the streams open:' +
          '\nafter GC: the same RSS growth; held: JS heap + external memory the streams hold (open minus gone, both collected).',
      );
      const split = rss.filter((r) => r.growth);
      if (split.length) {
        console.log('\nWhere the KiB/stream is (Node relays; V8 heap spaces as resident and external memory, before and open, nothing collected):\n');
        printTable(
          ['path', 'KiB/stream', 'new space', 'old space', 'large obj', 'code', 'external', 'other'],
          split.map((r) => [r.path, r.kibPerStream.toFixed(1), ...(['newSpace', 'oldSpace', 'largeObjects', 'code', 'external', 'other'] as const).map((k) => r.growth![k].toFixed(1))]),
        );
        console.log(
          '\nnew space: the young generation grown under the load (as much of it as is touched); old space: what was promoted, held or' +
            '\nnot yet marked dead (after GC shows how much was garbage); external: Buffers and ArrayBuffers; other: native memory' +
            '\n(sockets, parsers, malloc) and the rest of RSS.',
        );
      }
      const holdKinds = rss.filter((r) => r.errors > 0).map((r) => `${r.path}: ${JSON.stringify(r.errorKinds)}`);
      if (holdKinds.length) console.log(`\nerrors while holding: ${holdKinds.join('; ')}`);
    }

    const steps: StepFigures[] = [];
    for (const [i, n] of levels.entries()) {
      // Interleaved per level so drift in machine load hits every path alike, and in reverse
      // order every other level: the path measured first in a level read 10-25 % higher (the
      // generator's and the machine's state after the pause between levels), which pooling an
      // even number of levels cancels. Printed in the paths' own order.
      const order = i % 2 === 0 ? paths : [...paths].reverse();
      const level = new Map<Path, StepFigures>();
      for (const p of order) level.set(p, await measureStep(gen, p, n, sim.pid));
      for (const p of paths) steps.push(level.get(p)!);
    }
    printTable(
      ['streams', 'path', 'TTFT p50', 'TTFT p99', 'gap p99', 'offered/s', 'chunks/s', 'errors', 'CPU ms/1k', 'CPU ms/stream', 'engine ms/1k', 'gen core', 'busy', 'limit'],
      steps.map((s) => [
        s.streams,
        s.path,
        fmtMs(s.ttftP50),
        fmtMs(s.ttftP99),
        fmtMs(s.gapP99),
        s.offeredChunksPerSec.toFixed(0),
        s.chunksPerSec.toFixed(0),
        s.errors,
        fmtMs(s.relayCpuMsPer1kChunks),
        s.relayCpuMsPerStream.toFixed(2),
        fmtMs(s.engineCpuMsPer1kChunks),
        `${(s.busiestGeneratorCore * 100).toFixed(0)}%`,
        `${(s.machineBusy * 100).toFixed(0)}%`,
        s.limit,
      ]),
    );
    const kinds = steps.filter((s) => s.errors > 0).map((s) => `${s.path} @${s.streams}: ${JSON.stringify(s.errorKinds)}`);
    if (kinds.length) console.log(`\nerrors: ${kinds.join('; ')}`);
    console.log(
      '\nCPU ms/1k: CPU time of the relay process(es) over the step per 1,000 chunks delivered (direct: the engine itself).' +
        '\nCPU ms/stream: the same per stream; with a few tokens per stream (--seconds 0.1) it is what one request costs.' +
        (paths.some((p) => p.name === LITELLM) ? '\nlitellm: LiteLLM proxy, one uvicorn worker, no key, no database, logging off (sre/README.md).' : '') +
        '\ngen core: busiest load-generator process, share of one core; busy: whole machine. limit: what capped the step when not the path.',
    );

    // Repeated levels (--streams 128,128,…) pooled: single steps of short requests move by a
    // fifth between repeats (a collection landing in one), so the goals are read from medians.
    const pooled = pooledSteps(steps, NODE_HTTP);
    if (pooled.length) {
      console.log(`\nPooled over repeated levels (medians; the first level of each count dropped as warm-up when it repeats 3 times or more), ratios to ${NODE_HTTP}:\n`);
      printTable(
        ['streams', 'path', 'levels', 'CPU ms/stream', '× pipe', 'paired', 'CPU ms/1k', '× pipe', 'paired', 'late/early'],
        pooled.map((p) => [
          p.streams,
          p.path,
          p.levels,
          p.msPerStream.toFixed(3),
          ratio(p.perStreamRatio),
          ratio(p.pairedPerStreamRatio),
          p.msPer1k.toFixed(1),
          ratio(p.per1kRatio),
          ratio(p.pairedPer1kRatio),
          ratio(p.lateOverEarly),
        ]),
      );
      console.log(
        '\n× pipe: ratio of the medians; paired: median of the level-by-level ratios (each level\'s step over the pipe\'s in the same' +
          "\nlevel), which cancels the machine's drift between levels. late/early: CPU ms/stream of the later half of the levels over" +
          '\nthe earlier half (medians); about 1 when the path was warm.',
      );
      const warming = pooled.filter((p) => p.lateOverEarly < STILL_WARMING);
      if (warming.length) {
        console.log(`still warming up while measured (late/early under ${STILL_WARMING}): ${warming.map((p) => `${p.path} @${p.streams}`).join(', ')}; its figures and ratios read high: raise --warmup`);
      }
    }

    const ratios = ratiosToNginx(steps, rss);
    if (ratios.length) {
      console.log('\nRatios to nginx (same run): CPU per chunk, RSS per open stream, TTFT p99 added:\n');
      printTable(
        ['path', 'streams', 'CPU/chunk × nginx', `× ${NODE_HTTP}`, 'ΔTTFT p50', 'ΔTTFT p99', 'RSS/stream × nginx'],
        ratios.map((r) => [r.path, r.streams, ratio(r.cpuPerChunkRatio, '-'), ratio(r.cpuOverNodeHttp, '-'), fmtMs(r.ttftP50Added), fmtMs(r.ttftP99Added), ratio(r.rssPerStreamRatio)]),
      );
      const at512 = ratios.filter((r) => r.streams === 512 && r.path.startsWith('origin'));
      for (const r of at512) console.log(`${r.path}: TTFT p99 added over nginx at 512 streams ${fmtMs(r.ttftP99Added)} ms`);
    }

    // The measured relays go first, so the fresh origin below has the machine to itself (and
    // each profiled process has written its profile, which it does as it exits).
    for (const { child } of profiled) await child.stop();
    const profiles: Record<string, ReturnType<typeof topFrames>> = {};
    if (values['cpu-prof']) {
      for (const { name } of profiled) {
        const dir = join(values['cpu-prof'], name);
        for (const file of existsSync(dir) ? profilesIn(dir) : []) {
          profiles[name] = topFrames(file);
          console.log(`\n${name}: top frames by self time over the whole run, share of its busy time (${file})\n`);
          printTable(['self ms', 'share', 'frame'], profiles[name].map((f) => [f.selfMs.toFixed(0), `${(f.share * 100).toFixed(1)}%`, f.frame]));
        }
      }
    }
    const [built] = await originFootprints(originEnv(sim.url, slots, {}), 1);
    console.log(`\nfresh origin at rest: built ${built!.idleRssMiB.toFixed(1)} MiB, started in ${fmtMs(built!.startMs)} ms`);

    if (values.json) {
      writeFileSync(values.json, JSON.stringify({ command: `npm run bench:relay -- ${process.argv.slice(2).join(' ')}`.trim(), machine: facts, options: { levels, rate, tokens, workers: gen.pids.length, holdStreams, holdIntervalS }, idleCpuMsPerSec, steps, pooled, rss, ratiosToNginx: ratios, originAtRest: built, profiles }, null, 2));
      console.log(`figures written to ${values.json}`);
    }
  } finally {
    await gen?.close();
    for (const c of children.reverse()) await c.stop();
    rmSync(auditDir, { recursive: true, force: true });
  }
}

interface Ratio {
  path: string;
  streams: number;
  cpuPerChunkRatio: number;
  /** CPU per chunk over the plain node:http relay's: what the path adds to Node's own HTTP cost. */
  cpuOverNodeHttp: number;
  ttftP50Added: number;
  ttftP99Added: number;
  rssPerStreamRatio?: number;
}

const NODE_HTTP = 'node bare (http)';

function ratiosToNginx(steps: StepFigures[], rss: RssFigures[]): Ratio[] {
  const out: Ratio[] = [];
  const nginxRss = rss.find((r) => r.path === 'nginx');
  for (const s of steps) {
    if (s.path === 'nginx' || s.path.startsWith('direct')) continue;
    const x = steps.find((n) => n.path === 'nginx' && n.streams === s.streams);
    if (!x) continue;
    const floor = steps.find((n) => n.path === NODE_HTTP && n.streams === s.streams);
    const mine = rss.find((r) => r.path === s.path);
    out.push({
      path: s.path,
      streams: s.streams,
      // Below one clock tick of nginx CPU (a single stream) there is no ratio to give.
      cpuPerChunkRatio: x.relayCpuMsPer1kChunks > 0 ? s.relayCpuMsPer1kChunks / x.relayCpuMsPer1kChunks : NaN,
      cpuOverNodeHttp: floor && floor.relayCpuMsPer1kChunks > 0 ? s.relayCpuMsPer1kChunks / floor.relayCpuMsPer1kChunks : NaN,
      ttftP50Added: s.ttftP50 - x.ttftP50,
      ttftP99Added: s.ttftP99 - x.ttftP99,
      ...(mine && nginxRss ? { rssPerStreamRatio: mine.kibPerStream / nginxRss.kibPerStream } : {}),
    });
  }
  return out;
}

await main();
