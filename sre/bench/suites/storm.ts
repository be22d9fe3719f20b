/**
 * `npm run bench:storm`: problem 1 of issue 4, reproduced. One engine with 4 parallel slots
 * serves both chat and embeddings; 200 clients keep embedding requests in flight (a bulk document
 * upload) while 20 chat users chat. The same load runs twice in one process, against a fresh
 * simulator each time: through the origin with admission control on, and with plain
 * pass-through. Prints chat TTFT p50/p95/p99, 5xx and timeout counts for each.
 *
 * Time runs `timeScale` times faster than on the hardware; every figure printed is converted back
 * to simulated (hardware) time. Loopback only; bounded to well under three minutes.
 *
 *   npm run bench:storm -- [--seconds 150] [--time-scale 0.1] [--embedders 200] [--chatters 20]
 */
import { Agent, request } from 'undici';
import pino from 'pino';
import { startOrigin } from '../../../origin/node/server.ts';
import { startSimulator } from '../../../sim/index.ts';
import { presets } from '../../../sim/presets.ts';
import { percentile, printTable, sortedCopy } from '../lib/stats.ts';
import { cliArgs } from '../../../shared/cli.ts';

const USAGE = `usage: npm run bench:storm -- [flags]

  embedding requests and chat users on one 4-slot engine, admission control vs pass-through: chat
  TTFT p50/p95/p99, 5xx and timeouts for each

  --seconds N       seconds of load per run, simulated time (default 150)
  --time-scale X    engine time scale (default 0.2: five times faster than the hardware)
  --embedders N     clients keeping embedding requests in flight (default 200)
  --chatters N      chat users (default 20)
  --help            this text`;

const { values } = cliArgs({
  name: 'bench:storm',
  usage: USAGE,
  options: {
    seconds: { type: 'string', default: '150' },
    'time-scale': { type: 'string', default: '0.2' },
    embedders: { type: 'string', default: '200' },
    chatters: { type: 'string', default: '20' },
  },
});
const SIM_SECONDS = Number(values.seconds);
const TS = Number(values['time-scale']);
const EMBEDDERS = Number(values.embedders);
const CHATTERS = Number(values.chatters);
const MODEL = 'gpt-oss:20b';
/** A client gives up on a chat answer that has not started after 60 s (problem 1's timeouts). */
const CLIENT_TIMEOUT_S = 60;
const THINK_S = 8;
const CHAT_TOKENS = 30;
/** ~2,600 tokens per request (a batch of document chunks): about 1.4 s of prefill on the engine. */
const EMBED_INPUT = [Array.from({ length: 2_600 }, (_, i) => `word${i % 50}`).join(' ')];

const sim = (ms: number) => ms / TS;
const real = (simMs: number) => simMs * TS;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Result {
  ttftMs: number[];
  chat5xx: number;
  chatTimeouts: number;
  chatOk: number;
  embedOk: number;
  embed5xx: number;
  maxConcurrent: number;
}

const agent = new Agent({ connections: 1024, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });

async function chatUser(url: string, until: number, out: Result, id: number): Promise<void> {
  await sleep(real((id / CHATTERS) * 5_000));
  while (Date.now() < until) {
    const t0 = performance.now();
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), real(CLIENT_TIMEOUT_S * 1000));
    try {
      const res = await request(`${url}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: agent,
        signal: ctl.signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: `question ${id} [[sim:tokens=${CHAT_TOKENS}]]` }] }),
      });
      if (res.statusCode >= 500) {
        out.chat5xx++;
        await res.body.text();
      } else {
        let first = true;
        let failed = false;
        for await (const chunk of res.body) {
          const text = (chunk as Buffer).toString();
          if (first && text.includes('data: ')) {
            first = false;
            out.ttftMs.push(sim(performance.now() - t0));
            clearTimeout(timer);
          }
          if (text.includes('event: error')) failed = true;
        }
        if (failed) out.chat5xx++;
        else if (!first) out.chatOk++;
      }
    } catch {
      if (ctl.signal.aborted) out.chatTimeouts++;
      else out.chat5xx++;
    } finally {
      clearTimeout(timer);
    }
    await sleep(real(THINK_S * 1000));
  }
}

async function embedder(url: string, until: number, out: Result): Promise<void> {
  while (Date.now() < until) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), Math.max(1, until - Date.now()));
    try {
      const res = await request(`${url}/v1/embeddings`, {
        method: 'POST',
        dispatcher: agent,
        signal: ctl.signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL, input: EMBED_INPUT }),
      });
      await res.body.text();
      if (res.statusCode >= 500) {
        out.embed5xx++;
        // A well-behaved bulk client backs off as Retry-After says (capped to keep the storm on).
        await sleep(real(Math.min(5, Number(res.headers['retry-after'] ?? 1)) * 1000));
      } else out.embedOk++;
    } catch {
      // Cut off at the end of the run.
    } finally {
      clearTimeout(timer);
    }
  }
}

async function run(admission: 'queue' | 'off'): Promise<Result> {
  // Small vectors: the dimension changes no timing, and 2,880 floats per answer would make the
  // benchmark measure this machine's JSON speed instead of the engine's queue.
  const model = { ...presets['gpt-oss-20b'], numParallel: 4, embeddingDim: 64 };
  const s = await startSimulator({ timeScale: TS, models: [model], preloaded: [MODEL] });
  const o = await startOrigin({
    env: {},
    logger: pino({ level: 'silent' }),
    overrides: {
      server: { port: 0 },
      upstreams: [{ name: 'spark', url: s.url, models: [MODEL] }],
      stream: { keepaliveMs: Math.round(real(15_000)) },
      admission: { mode: admission, defaultSlots: 4, queueWaitMs: Math.round(real(30_000)), batchQueueWaitMs: Math.round(real(300_000)), maxQueue: 1024 },
      routing: { health: { intervalMs: 0 } },
    },
  });
  const out: Result = { ttftMs: [], chat5xx: 0, chatTimeouts: 0, chatOk: 0, embedOk: 0, embed5xx: 0, maxConcurrent: 0 };
  const until = Date.now() + real(SIM_SECONDS * 1000);
  try {
    await Promise.all([
      ...Array.from({ length: EMBEDDERS }, () => embedder(o.url, until, out)),
      ...Array.from({ length: CHATTERS }, (_, i) => chatUser(o.url, until, out, i)),
    ]);
    out.maxConcurrent = s.stats().models[MODEL]?.maxConcurrent ?? 0;
  } finally {
    await o.close();
    await s.close();
  }
  return out;
}

function row(name: string, r: Result): Array<string | number> {
  const t = sortedCopy(r.ttftMs);
  const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');
  return [name, r.chatOk + r.chat5xx + r.chatTimeouts, s(percentile(t, 50)), s(percentile(t, 95)), s(percentile(t, 99)), r.chat5xx, r.chatTimeouts, r.embedOk, r.embed5xx, r.maxConcurrent];
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(`storm: ${EMBEDDERS} concurrent embedding clients + ${CHATTERS} chat users, one engine with 4 slots (${MODEL}), ${SIM_SECONDS} s of simulated time per mode at time scale ${TS}; chat clients time out after ${CLIENT_TIMEOUT_S} s without a first token`);
  const on = await run('queue');
  const off = await run('off');
  console.log('\nfigures in simulated (hardware) time:');
  printTable(
    ['mode', 'chat requests', 'TTFT p50', 'TTFT p95', 'TTFT p99', 'chat 5xx', 'chat timeouts', 'embeddings ok', 'embedding 5xx', 'engine max concurrent'],
    [row('admission control', on), row('pass-through', off)],
  );
  console.log(`\nwall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await agent.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
