/**
 * `npm run bench:relay`: what the origin adds to a stream. The same streaming load goes, in the
 * same run, straight to the simulator (its own OpenAI layer), through nginx with buffering off
 * (the reference reverse proxy), and through the origin (which speaks native /api/chat upstream
 * and builds the OpenAI stream itself). Figures, not pass/fail: these machines are shared and
 * noisy, so compare within a run, as ratios.
 *
 * The origin runs built (npm run build, plain node), as production does; its idle footprint is
 * printed beside the development (tsx) one.
 *
 *   npm run bench:relay -- [--streams 1,64,512] [--tokens 40] [--rate 20]
 */
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { printTable, fmtMs, percentile, sortedCopy } from '../lib/stats.ts';
import { buildOrigin, freePort, rssBytes, startNginx, startOriginProcess, startTsProcess, type Child } from '../lib/processes.ts';
import { originFootprints } from '../lib/footprint.ts';
import { presets } from '../../../sim/presets.ts';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '1,64,512' },
    tokens: { type: 'string', default: '40' },
    rate: { type: 'string', default: '20' },
  },
});
const levels = values.streams.split(',').map(Number);
const tokens = Number(values.tokens);
const rate = Number(values.rate);
const MODEL = 'bench-chat:latest';

interface StepResult {
  ttft: number[];
  gaps: number[];
  events: number;
  wallMs: number;
  errors: number;
  peakRss?: number;
}

const agent = new Agent({ connections: 2048, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 120_000, bodyTimeout: 120_000 });

/** One stream: TTFT to the first content event, and the gap before every later read. */
async function oneStream(base: string, out: StepResult, i: number): Promise<void> {
  const t0 = performance.now();
  const body = JSON.stringify({
    model: MODEL,
    stream: true,
    messages: [{ role: 'user', content: `bench stream ${i} [[sim:tokens=${tokens}]]` }],
  });
  try {
    const res = await request(`${base}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
    if (res.statusCode !== 200) {
      out.errors++;
      await res.body.dump();
      return;
    }
    let last = 0;
    for await (const chunk of res.body) {
      const now = performance.now();
      const text = (chunk as Buffer).toString('latin1');
      let n = 0;
      for (let k = text.indexOf('data: '); k !== -1; k = text.indexOf('data: ', k + 6)) n++;
      if (n === 0) continue;
      if (last === 0) out.ttft.push(now - t0);
      else out.gaps.push(now - last);
      last = now;
      out.events += n;
    }
  } catch {
    out.errors++;
  }
}

async function step(base: string, n: number, watchPid?: number): Promise<StepResult> {
  const out: StepResult = { ttft: [], gaps: [], events: 0, wallMs: 0, errors: 0 };
  let peak = 0;
  const sampler = watchPid ? setInterval(() => (peak = Math.max(peak, rssBytes(watchPid))), 100) : undefined;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => oneStream(base, out, i)));
  out.wallMs = performance.now() - t0;
  if (sampler) {
    clearInterval(sampler);
    out.peakRss = peak;
  }
  return out;
}

function summarise(r: StepResult) {
  const ttft = sortedCopy(r.ttft);
  const gaps = sortedCopy(r.gaps);
  return {
    ttftP50: percentile(ttft, 50),
    ttftP99: percentile(ttft, 99),
    gapP50: percentile(gaps, 50),
    gapP99: percentile(gaps, 99),
    chunksPerSec: r.events / (r.wallMs / 1000),
  };
}

async function main(): Promise<void> {
  // One chat model with a slot per stream and no box-wide slowdown: the simulator must never be
  // the bottleneck, so every difference is the proxy's.
  const model = { ...presets['llama3.2-3b'], name: MODEL, numParallel: Math.max(...levels), decodeTokensPerSec: rate, baseLatencyMs: 30, computeWeight: 0 };
  const simOpts = { port: await freePort(), models: [model], preloaded: [MODEL], boxCapacity: 1e9, timeScale: 1, maxQueue: 100_000 };
  const children: Child[] = [];
  try {
    const sim = await startTsProcess('sre/bench/lib/sim-process.ts', [JSON.stringify(simOpts)], {}, (l) => /^SIM_URL (\S+)/.exec(l)?.[1]);
    children.push(sim);
    // The origin's admission queue is sized to the engine's real slots, as in a deployment; here the
    // engine has a slot per stream, so nothing queues and only the relay is measured.
    // The built origin (dist/origin/main.js under plain node): what production runs.
    buildOrigin();
    const originEnv = {
      OLLAMA_URL: sim.url,
      UPSTREAM_MODELS: MODEL,
      OLLAMA_NUM_PARALLEL: String(model.numParallel),
      ADMISSION_MAX_QUEUE: String(model.numParallel),
    };
    const origin = await startOriginProcess(originEnv, 'built');
    children.push(origin);
    const nginx = await startNginx(Number(new URL(sim.url).port));
    if (nginx) children.push(nginx);
    else console.log('nginx not found (scripts/ensure-system-deps.sh nginx installs it): nginx column skipped');

    const paths: Array<[string, string, number | undefined]> = [['direct', sim.url, undefined]];
    if (nginx) paths.push(['nginx', nginx.url, undefined]);
    paths.push(['origin', origin.url, origin.pid]);

    // Warm-up: connection pools, JIT, the simulator's first stream.
    for (const [, url] of paths) await step(url, 4);

    console.log(`\nbench:relay — ${tokens} tokens per stream at ${rate} tokens/s, concurrency ${levels.join(', ')}; ms unless noted\n`);
    const rows: Array<Array<string | number>> = [];
    const added: Array<Array<string | number>> = [];
    for (const n of levels) {
      const idleRss = rssBytes(origin.pid);
      const results = new Map<string, ReturnType<typeof summarise> & { errors: number; peakRss?: number }>();
      // Interleaved per level so drift in machine load hits every path alike.
      for (const [name, url, pid] of paths) {
        const r = await step(url, n, pid);
        results.set(name, { ...summarise(r), errors: r.errors, ...(r.peakRss !== undefined ? { peakRss: r.peakRss } : {}) });
      }
      for (const [name, s] of results) {
        // Below ~64 streams the per-stream share drowns in GC noise.
        const rssPerStream = s.peakRss !== undefined && n >= 64 ? ((s.peakRss - idleRss) / n / 1024).toFixed(1) : '';
        rows.push([n, name, fmtMs(s.ttftP50), fmtMs(s.ttftP99), fmtMs(s.gapP50), fmtMs(s.gapP99), s.chunksPerSec.toFixed(0), s.errors, rssPerStream]);
      }
      const d = results.get('direct')!;
      const o = results.get('origin')!;
      const x = results.get('nginx');
      added.push([
        n,
        fmtMs(o.ttftP50 - d.ttftP50),
        fmtMs(o.ttftP99 - d.ttftP99),
        fmtMs(o.gapP50 - d.gapP50),
        fmtMs(o.gapP99 - d.gapP99),
        (o.ttftP50 / d.ttftP50).toFixed(2),
        (o.chunksPerSec / d.chunksPerSec).toFixed(2),
        x ? fmtMs(x.ttftP50 - d.ttftP50) : '-',
        x ? fmtMs(x.gapP99 - d.gapP99) : '-',
      ]);
    }
    printTable(['streams', 'path', 'TTFT p50', 'TTFT p99', 'gap p50', 'gap p99', 'chunks/s', 'errors', 'RSS KiB/stream'], rows);
    console.log('\nAdded by the origin over direct (same run):\n');
    printTable(['streams', 'ΔTTFT p50', 'ΔTTFT p99', 'Δgap p50', 'Δgap p99', 'TTFT ratio p50', 'chunks/s ratio', 'nginx ΔTTFT p50', 'nginx Δgap p99'], added);
    console.log(`\norigin (built) RSS idle ${(rssBytes(origin.pid) / 1048576).toFixed(1)} MiB; RSS/stream = (peak during the step - idle before it) / streams`);
    await origin.stop();
    const [built, tsx] = await originFootprints(originEnv, 1);
    console.log(`fresh origin at rest: built ${built!.idleRssMiB.toFixed(1)} MiB, started in ${fmtMs(built!.startMs)} ms; tsx ${tsx!.idleRssMiB.toFixed(1)} MiB, ${fmtMs(tsx!.startMs)} ms`);
  } finally {
    await agent.close();
    await Promise.all(children.map((c) => c.stop()));
  }
}

await main();
