/**
 * `npm run bench:batch`: what an overnight batch costs interactive users, and how well it fills
 * an engine nobody else uses. One simulated engine with 4 slots (gpt-oss:20b, which also embeds);
 * an origin with the batch stage (embedded PGlite) in front of it. Three phases:
 *   idle      20 chat users chat, nothing else: their TTFT p95 is the reference;
 *   alone     a 10,000-line embedding batch and a 1,000-line chat batch, nothing else: lines/s and
 *             the engine's busy fraction (its generating slots, sampled from the simulator);
 *   together  the same two batches again while the 20 users chat: their TTFT p95 against idle.
 * Goals: TTFT p95 together ≤ 1.2× idle; busy fraction alone ≥ 90 %.
 *
 * Engine time runs `timeScale` times faster than on the hardware and TTFT is converted back; the
 * store and the origin run in real time. The simulator runs in its own process, as an engine does:
 * on the origin's event loop its slots would free and its tokens come late by the origin's own
 * delays, counted as engine time. The busy fraction is the simulator's own integral of its slots
 * in use (busySlotMs), not a sampling. Loopback only, bounded in time.
 *
 *   npm run bench:batch -- [--time-scale 0.1] [--embedding-lines 10000] [--chat-lines 1000] [--chatters 20] [--idle-seconds 200]
 */
import pino from 'pino';
import { Agent } from 'undici';
import { startOrigin } from '../../../origin/node/server.ts';
import { presets } from '../../../sim/presets.ts';
import type { SimStats } from '../../../sim/types.ts';
import { startTsProcess } from '../lib/processes.ts';
import { badUsageLine, cliArgs, exitBadUsage } from '../../../shared/cli.ts';
import { mulberry32 } from '../../../sim/text.ts';
import { percentile, printTable, sortedCopy } from '../lib/stats.ts';
import { streamedChat } from '../lib/streamed-chat.ts';

const USAGE = `usage: npm run bench:batch -- [flags]

  a 10,000-line embedding batch and a 1,000-line chat batch on a 4-slot simulated engine, alone
  and while chat users chat: their TTFT p95 against idle (goal ≤ 1.2x), lines/s, and the engine's
  busy fraction with the batch alone (goal ≥ 90 %)

  --time-scale X          engine time scale (default 0.1: ten times faster than the hardware)
  --embedding-lines N     lines of the embedding batch (default 10000)
  --chat-lines N          lines of the chat batch (default 1000)
  --chat-line-tokens N    tokens each chat line generates (default 40)
  --chatters N            interactive chat users (default 20)
  --think random|fixed    each user's pause between chats: random (exponential, mean 8 s, seeded)
                          or always 8 s (default random; fixed pauses fall into a cadence in which
                          idle chats rarely meet, so the idle reference has no chat queueing)
  --idle-seconds N        simulated seconds of the idle phase (default 200: about 450 chats,
                          after 20 s of warm-up not counted)
  --batch-concurrency N   lines the runner keeps in flight (batch.concurrency, default 16)
  --reserve-interactive N slots batch work never takes (admission.reserveInteractive, default 0)
  --preempt-batch on|off  interactive requests stop batch lines holding their slots
                          (admission.preemptBatch, default on)
  --batch-lookahead N     batch lines let in past the engine's slots to wait in its own queue
                          while it runs only batch work (admission.batchLookahead, default 1)
  --max-seconds N         upper bound on each batch phase, wall time (default 75); a batch not
                          finished by then is cancelled and reported unfinished
  --json                  the figures as one JSON line as well
  --help                  this text`;

const { values } = cliArgs({
  name: 'bench:batch',
  usage: USAGE,
  options: {
    'time-scale': { type: 'string', default: '0.1' },
    'embedding-lines': { type: 'string', default: '10000' },
    'chat-lines': { type: 'string', default: '1000' },
    'chat-line-tokens': { type: 'string', default: '40' },
    chatters: { type: 'string', default: '20' },
    think: { type: 'string', default: 'random' },
    'idle-seconds': { type: 'string', default: '200' },
    'batch-concurrency': { type: 'string', default: '16' },
    'reserve-interactive': { type: 'string', default: '0' },
    'preempt-batch': { type: 'string', default: 'on' },
    'batch-lookahead': { type: 'string', default: '1' },
    'max-seconds': { type: 'string', default: '75' },
    json: { type: 'boolean', default: false },
  },
});
const TS = Number(values['time-scale']);
const EMBED_LINES = Number(values['embedding-lines']);
const CHAT_LINES = Number(values['chat-lines']);
const LINE_TOKENS = Number(values['chat-line-tokens']);
const CHATTERS = Number(values.chatters);
const IDLE_S = Number(values['idle-seconds']);
const CONCURRENCY = Number(values['batch-concurrency']);
const RESERVE = Number(values['reserve-interactive']);
if (values['preempt-batch'] !== 'on' && values['preempt-batch'] !== 'off') exitBadUsage(badUsageLine('bench:batch', `--preempt-batch: '${values['preempt-batch']}' is not on or off`));
const PREEMPT = values['preempt-batch'] === 'on';
const MAX_S = Number(values['max-seconds']);
if (values.think !== 'random' && values.think !== 'fixed') exitBadUsage(badUsageLine('bench:batch', `--think: '${values.think}' is not random or fixed`));
const RANDOM_THINK = values.think === 'random';
const LOOKAHEAD = Number(values['batch-lookahead']);
const MODEL = 'gpt-oss:20b';
const SLOTS = 4;
const THINK_S = 8;
const WARMUP_S = 20;
const CHAT_TOKENS = 30;

const sim = (ms: number) => ms / TS;
const real = (simMs: number) => simMs * TS;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const agent = new Agent({ connections: 256, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });

function jsonl(n: number, line: (i: number) => object): Blob {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(JSON.stringify(line(i)) + '\n');
  return new Blob(parts, { type: 'application/jsonl' });
}

const embeddingFile = () => jsonl(EMBED_LINES, (i) => ({ custom_id: `emb-${i}`, method: 'POST', url: '/v1/embeddings', body: { model: MODEL, input: `passage ${i} of the archive` } }));
const chatFile = () =>
  jsonl(CHAT_LINES, (i) => ({ custom_id: `chat-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: MODEL, messages: [{ role: 'user', content: `summarise record ${i} [[sim:tokens=${LINE_TOKENS}]]` }] } }));

async function submit(url: string, file: Blob, endpoint: string): Promise<string> {
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('file', file, 'bench.jsonl');
  const f = await fetch(`${url}/v1/files`, { method: 'POST', body: form });
  if (!f.ok) throw new Error(`upload refused: ${f.status} ${await f.text()}`);
  const b = await fetch(`${url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: ((await f.json()) as { id: string }).id, endpoint, completion_window: '24h' }) });
  if (!b.ok) throw new Error(`batch refused: ${b.status} ${await b.text()}`);
  return ((await b.json()) as { id: string }).id;
}

interface BatchState {
  status: string;
  in_progress_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
}
const batch = async (url: string, id: string) => (await (await fetch(`${url}/v1/batches/${id}`)).json()) as BatchState;

/** Simulated ms a user pauses before its next chat: exponential (a user population's arrivals), or the same every time. */
function thinker(id: number, phase: number): () => number {
  const rnd = mulberry32(phase * 1_000 + id + 1);
  return () => (RANDOM_THINK ? -Math.log(1 - rnd()) : 1) * THINK_S * 1000;
}

async function chatUser(url: string, stop: () => boolean, ttft: number[], errors: { n: number }, id: number, phase: number): Promise<void> {
  const think = thinker(id, phase);
  // Staggered first chats either way: the first user starts at once, so a short phase has chats.
  await sleep(real((id / CHATTERS) * THINK_S * 1000));
  while (!stop()) {
    try {
      const res = await streamedChat(url, agent, { model: MODEL, messages: [{ role: 'user', content: `question ${id} [[sim:tokens=${CHAT_TOKENS}]]` }] });
      if (res.ttftMs !== null) ttft.push(sim(res.ttftMs));
      if (res.status >= 400 || res.ttftMs === null) errors.n++;
    } catch {
      errors.n++;
    }
    await sleep(real(think()));
  }
}

/** The engine's slots in use from now to stop(), from its own integral: the busy fraction of its 4. */
async function busyMeter(simUrl: string): Promise<{ stop(): Promise<number> }> {
  const read = async () => {
    const stats = (await (await fetch(`${simUrl}/_sim/stats`)).json()) as SimStats;
    return { at: performance.now(), slotMs: stats.models[MODEL]?.busySlotMs ?? 0 };
  };
  const start = await read();
  return {
    async stop() {
      const end = await read();
      return end.at > start.at ? (end.slotMs - start.slotMs) / ((end.at - start.at) * SLOTS) : 0;
    },
  };
}

interface BatchRun {
  seconds: number;
  lines: number;
  failed: number;
  linesPerSecond: number;
  busy: number;
  finished: boolean;
}

/** Submits both batches, samples the engine from the first line run to the last answered. */
async function runBatches(url: string, simUrl: string): Promise<BatchRun> {
  const ids: string[] = [];
  if (EMBED_LINES > 0) ids.push(await submit(url, embeddingFile(), '/v1/embeddings'));
  if (CHAT_LINES > 0) ids.push(await submit(url, chatFile(), '/v1/chat/completions'));
  // Validation (the JSONL worker, storing the lines) is not line running: the clock starts at in_progress.
  while ((await Promise.all(ids.map((id) => batch(url, id)))).some((b) => b.in_progress_at === null && b.status === 'validating')) await sleep(50);
  const meter = await busyMeter(simUrl);
  const t0 = Date.now();
  let states: BatchState[] = [];
  for (;;) {
    states = await Promise.all(ids.map((id) => batch(url, id)));
    if (states.every((b) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status)) || Date.now() - t0 > MAX_S * 1000) break;
    // Each read counts the lines on the store's one connection: not so often that it slows the runner.
    await sleep(500);
  }
  const busy = await meter.stop();
  const seconds = (Date.now() - t0) / 1000;
  // Past the bound: cancelled, so the next phase's batches do not share the engine with these.
  const unfinished = ids.filter((_, i) => !['completed', 'failed', 'cancelled', 'expired'].includes(states[i]!.status));
  for (const id of unfinished) await fetch(`${url}/v1/batches/${id}/cancel`, { method: 'POST' });
  const cancelDeadline = Date.now() + 60_000;
  while (unfinished.length && Date.now() < cancelDeadline && (await Promise.all(unfinished.map((id) => batch(url, id)))).some((b) => b.status !== 'cancelled')) await sleep(200);
  const lines = states.reduce((n, b) => n + b.request_counts.completed + b.request_counts.failed, 0);
  return { seconds, lines, failed: states.reduce((n, b) => n + b.request_counts.failed, 0), linesPerSecond: lines / seconds, busy, finished: states.every((b) => b.status === 'completed') };
}

async function main(): Promise<void> {
  const wall = Date.now();
  const model = { ...presets['gpt-oss-20b'], numParallel: SLOTS, embeddingDim: 64 };
  const s = await startTsProcess('sre/bench/lib/sim-process.ts', [JSON.stringify({ timeScale: TS, models: [model], preloaded: [MODEL] })], {}, (l) => /^SIM_URL (\S+)/.exec(l)?.[1]);
  const o = await startOrigin({
    env: {},
    logger: pino({ level: 'silent' }),
    overrides: {
      server: { port: 0 },
      upstreams: [{ name: 'spark', url: s.url, models: [MODEL] }],
      stream: { keepaliveMs: Math.round(real(15_000)) },
      admission: { mode: 'queue', defaultSlots: SLOTS, reserveInteractive: RESERVE, preemptBatch: PREEMPT, batchLookahead: LOOKAHEAD, queueWaitMs: Math.round(real(60_000)), batchQueueWaitMs: 600_000, maxQueue: 4096 },
      routing: { health: { intervalMs: 0 } },
      batch: { enabled: true, concurrency: CONCURRENCY, pollMs: 200, maxLines: Math.max(50_000, EMBED_LINES) },
    },
  });
  console.log(
    `bench:batch: ${EMBED_LINES} embedding lines + ${CHAT_LINES} chat lines (${LINE_TOKENS} tokens each), one engine with ${SLOTS} slots (${MODEL}), ${CHATTERS} chat users (${CHAT_TOKENS} tokens, ${RANDOM_THINK ? 'random' : 'fixed'} ${THINK_S} s think), time scale ${TS}, batch.concurrency ${CONCURRENCY}, reserveInteractive ${RESERVE}, preemptBatch ${PREEMPT ? 'on' : 'off'}, batchLookahead ${LOOKAHEAD}`,
  );
  try {
    // Warm-up, not counted: the first requests of a fresh origin (module loading, the JIT) would
    // stand in the idle reference as slow chats the batches had nothing to do with.
    const warmUntil = Date.now() + real(WARMUP_S * 1000);
    await Promise.all(Array.from({ length: CHATTERS }, (_, i) => chatUser(o.url, () => Date.now() >= warmUntil, [], { n: 0 }, i, 0)));

    // Idle: the chat users alone.
    const idle: number[] = [];
    const idleErrors = { n: 0 };
    const idleUntil = Date.now() + real(IDLE_S * 1000);
    await Promise.all(Array.from({ length: CHATTERS }, (_, i) => chatUser(o.url, () => Date.now() >= idleUntil, idle, idleErrors, i, 1)));

    // Alone: the batches with nothing else on the engine.
    const alone = await runBatches(o.url, s.url);

    // Together: the batches again while the users chat, until both end.
    const loaded: number[] = [];
    const loadedErrors = { n: 0 };
    let done = false;
    const users = Promise.all(Array.from({ length: CHATTERS }, (_, i) => chatUser(o.url, () => done, loaded, loadedErrors, i, 2)));
    const together = await runBatches(o.url, s.url).finally(() => (done = true));
    await users;

    const p = (xs: number[], q: number) => percentile(sortedCopy(xs), q);
    const secs = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
    const ratio = p(loaded, 95) / p(idle, 95);
    console.log('\ninteractive chat, TTFT in simulated (hardware) time:');
    printTable(
      ['phase', 'chats', 'TTFT p50', 'TTFT p95', 'TTFT p99', 'errors'],
      [
        ['idle', idle.length, secs(p(idle, 50)), secs(p(idle, 95)), secs(p(idle, 99)), idleErrors.n],
        ['during the batches', loaded.length, secs(p(loaded, 50)), secs(p(loaded, 95)), secs(p(loaded, 99)), loadedErrors.n],
      ],
    );
    console.log(`TTFT p95 during / idle: ${ratio.toFixed(2)}x (goal ≤ 1.2x: ${ratio <= 1.2 ? 'met' : 'NOT met'})`);
    console.log('\nthe batches (wall time; lines/s as this machine ran them):');
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    printTable(
      ['phase', 'lines', 'failed', 'seconds', 'lines/s', 'engine busy', 'finished'],
      [
        ['alone', alone.lines, alone.failed, alone.seconds.toFixed(1), alone.linesPerSecond.toFixed(0), pct(alone.busy), alone.finished ? 'yes' : 'no'],
        ['with chat users', together.lines, together.failed, together.seconds.toFixed(1), together.linesPerSecond.toFixed(0), pct(together.busy), together.finished ? 'yes' : 'no'],
      ],
    );
    console.log(`engine busy with the batch alone: ${pct(alone.busy)} (goal ≥ 90 %: ${alone.busy >= 0.9 ? 'met' : 'NOT met'})`);
    console.log(`\nwall time ${((Date.now() - wall) / 1000).toFixed(1)} s`);
    if (values.json) {
      console.log(JSON.stringify({ idleP95Ms: p(idle, 95), loadedP95Ms: p(loaded, 95), ttftRatio: ratio, alone, together, idleChats: idle.length, loadedChats: loaded.length, errors: idleErrors.n + loadedErrors.n }));
    }
  } finally {
    await o.close();
    await s.stop();
    await agent.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
