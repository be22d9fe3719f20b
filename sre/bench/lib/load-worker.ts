/**
 * One load-generator process (started by load-generator.ts over IPC): opens streaming chat
 * requests with its own undici Agent and reports raw figures back. Several of these run side by
 * side so the generator can offer more load than one Node event loop could.
 */
import { setMaxListeners } from 'node:events';
import { Agent, request } from 'undici';
import { importSigningKey, signOutgoing } from '../../../shared/signing.ts';
import type { HoldReport, StepReport, WorkerCommand } from './load-protocol.ts';

const DATA = Buffer.from('data: ');
const DONE = Buffer.from('[DONE]');

const newAgent = () => new Agent({ connections: 20_000, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, connectTimeout: 60_000 });
let agent = newAgent();
let signingKey: { secret: string; key: CryptoKey } | undefined;

function send(msg: unknown): void {
  process.send!(msg);
}

async function headersFor(cmd: WorkerCommand & { op: 'run' | 'hold' }, body: string, i: number): Promise<Record<string, string>> {
  const base: Record<string, string> = { 'content-type': 'application/json' };
  if (!cmd.sign) return base;
  if (signingKey?.secret !== cmd.sign.secret) signingKey = { secret: cmd.sign.secret, key: await importSigningKey(cmd.sign.secret) };
  const requestId = `req_bench_${process.pid}_${i}_${Date.now()}`;
  const signed = await signOutgoing(signingKey.key, { method: 'POST', path: '/v1/chat/completions', body, tenant: cmd.sign.tenant, requestId });
  return { ...base, ...signed, 'x-request-id': requestId };
}

function bodyOf(model: string, tokens: number, i: number): string {
  return JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: `bench stream ${i} [[sim:tokens=${tokens}]]` }] });
}

function countData(buf: Buffer): number {
  let n = 0;
  for (let k = buf.indexOf(DATA); k !== -1; k = buf.indexOf(DATA, k + 6)) n++;
  return n;
}

/** `[DONE]` in the last read, or split across the last two. */
function endedWithDone(prev: Buffer | undefined, tail: Buffer | undefined): boolean {
  if (!tail) return false;
  if (tail.indexOf(DONE) !== -1) return true;
  return prev !== undefined && Buffer.concat([prev.subarray(-DONE.length), tail]).indexOf(DONE) !== -1;
}

/** At most `limit` holders at once; the rest wait in order. */
function gate(limit: number): { enter(): Promise<void>; leave(): void } {
  let inside = 0;
  const waiting: Array<() => void> = [];
  return {
    enter() {
      if (inside < limit) {
        inside++;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    leave() {
      const next = waiting.shift();
      if (next) next();
      else inside--;
    },
  };
}

/** `http 503 queue_full`: the status and, when the body is an OpenAI error, its code. */
async function refusal(status: number, body: { text(): Promise<string> }): Promise<string> {
  try {
    const code = (JSON.parse(await body.text()) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? `http ${status} ${code}` : `http ${status}`;
  } catch {
    return `http ${status}`;
  }
}

function noteError(errors: Record<string, number>, kind: string): void {
  errors[kind] = (errors[kind] ?? 0) + 1;
}

/** Streams that run to their end: TTFT to the first data event, the gap before every later read. */
async function runStep(cmd: WorkerCommand & { op: 'run' }): Promise<StepReport> {
  const ttft: number[] = [];
  const gaps: number[] = [];
  const errors: Record<string, number> = {};
  let events = 0;
  const deadline = AbortSignal.timeout(cmd.deadlineMs);
  // Every stream of the step listens on this one signal.
  setMaxListeners(0, deadline);
  const opening = gate(cmd.opening);
  const one = async (i: number): Promise<void> => {
    const body = bodyOf(cmd.models[i % cmd.models.length]!, cmd.tokens, i);
    await opening.enter();
    let entered = true;
    const t0 = performance.now();
    try {
      const res = await request(`${cmd.base}/v1/chat/completions`, { method: 'POST', body, headers: await headersFor(cmd, body, i), dispatcher: agent, signal: deadline });
      opening.leave();
      entered = false;
      if (res.statusCode !== 200) {
        noteError(errors, await refusal(res.statusCode, res.body));
        return;
      }
      let last = 0;
      let prev: Buffer | undefined;
      let tail: Buffer | undefined;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        prev = tail;
        tail = buf;
        const n = countData(buf);
        if (n === 0) continue;
        const now = performance.now();
        if (last === 0) ttft.push(now - t0);
        else gaps.push(now - last);
        last = now;
        events += n;
      }
      if (!endedWithDone(prev, tail)) noteError(errors, 'ended without [DONE]');
    } catch (err) {
      noteError(errors, deadline.aborted ? 'step deadline' : `${(err as Error).name}: ${(err as { code?: string }).code ?? ''}`);
    } finally {
      if (entered) opening.leave();
    }
  };
  await Promise.all(Array.from({ length: cmd.n }, (_, k) => one(cmd.offset + k)));
  return { op: 'done', ttft, gaps, events, errors };
}

/**
 * Streams held open: reports once every one has received its first bytes (a keepalive or a
 * token), then waits for `release` and cancels them all, as clients that hang up would.
 */
async function hold(cmd: WorkerCommand & { op: 'hold' }): Promise<void> {
  const cancel = new AbortController();
  setMaxListeners(0, cancel.signal);
  const errors: Record<string, number> = {};
  let firstBytes = 0;
  let finished = 0;
  let done = 0;
  let released = false;
  let reportedOpen = false;
  const maybeOpen = () => {
    if (reportedOpen || firstBytes + finished + sum(errors) < cmd.n) return;
    reportedOpen = true;
    send({ op: 'open', opened: firstBytes, errors: { ...errors } } satisfies HoldReport);
  };
  const deadline = setTimeout(() => {
    if (!reportedOpen) {
      noteError(errors, 'not open by the deadline');
      reportedOpen = true;
      send({ op: 'open', opened: firstBytes, errors: { ...errors } } satisfies HoldReport);
    }
  }, cmd.deadlineMs);
  const opening = gate(cmd.opening);
  let headers = 0;
  const progress = process.env.PUERTA_LOAD_PROGRESS ? setInterval(() => console.error(`load worker ${process.pid}: ${headers} with headers, ${firstBytes} with first bytes, ${finished} finished, of ${cmd.n}; errors ${JSON.stringify(errors)}`), 5_000) : undefined;
  const one = async (i: number): Promise<void> => {
    const body = bodyOf(cmd.models[i % cmd.models.length]!, cmd.tokens, i);
    let got = false;
    await opening.enter();
    let entered = true;
    try {
      if (released) return;
      const res = await request(`${cmd.base}/v1/chat/completions`, { method: 'POST', body, headers: await headersFor(cmd, body, i), dispatcher: agent, signal: cancel.signal });
      opening.leave();
      entered = false;
      headers++;
      if (res.statusCode !== 200) {
        noteError(errors, await refusal(res.statusCode, res.body));
        return;
      }
      let prev: Buffer | undefined;
      let tail: Buffer | undefined;
      for await (const chunk of res.body) {
        prev = tail;
        tail = chunk as Buffer;
        if (!got) {
          got = true;
          firstBytes++;
          maybeOpen();
        }
      }
      if (endedWithDone(prev, tail)) done++;
      else noteError(errors, 'ended without [DONE]');
      finished++;
    } catch (err) {
      if (!released) noteError(errors, `${(err as Error).name}: ${(err as { code?: string }).code ?? ''}`);
    } finally {
      if (entered) opening.leave();
      if (!got) maybeOpen();
    }
  };
  const all = Promise.all(Array.from({ length: cmd.n }, (_, k) => one(cmd.offset + k)));
  await new Promise<void>((resolve) => {
    const onMsg = (m: WorkerCommand) => {
      if (m.op !== 'release') return;
      process.off('message', onMsg);
      resolve();
    };
    process.on('message', onMsg);
  });
  clearTimeout(deadline);
  clearInterval(progress);
  released = true;
  cancel.abort();
  await all;
  // The cancelled sockets are gone; a fresh pool for whatever comes next.
  await agent.destroy();
  agent = newAgent();
  send({ op: 'released', opened: firstBytes, errors, done } satisfies HoldReport);
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

process.on('message', (m: WorkerCommand) => {
  if (m.op === 'run') void runStep(m).then(send);
  else if (m.op === 'hold') void hold(m);
  else if (m.op === 'exit') void agent.close().finally(() => process.exit(0));
});
// The generator went away (crashed, interrupted): nothing is left to report to.
process.on('disconnect', () => process.exit(0));
send({ op: 'ready' });
