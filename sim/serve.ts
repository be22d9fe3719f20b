import type { ServerResponse } from 'node:http';
import { dropConnection, runGeneration, type GenJob, type Sink } from './generation.ts';
import { RequestLife, type Env } from './lifecycle.ts';
import { statusFaultMessage } from './plan.ts';
import { sleep } from './scheduler.ts';
import type { FaultSpec, ModelConfig } from './types.ts';

/** Faults that act before any slot is taken; true when the request is already answered. */
async function preFaults(env: Env, life: RequestLife, fault: FaultSpec | undefined, fail: (s: number, m: string) => void): Promise<boolean> {
  if (fault?.kind === 'slow-first-byte') {
    env.stats.fault('slow-first-byte');
    try {
      await sleep((fault.ms ?? 2000) * env.opts.timeScale, life.signal);
    } catch {
      return true;
    }
  }
  if (fault?.kind === 'status') {
    env.stats.fault('status');
    const status = fault.status ?? 500;
    env.stats.rejected(status);
    fail(status, statusFaultMessage(fault));
    return true;
  }
  return false;
}

/** Admission + generation + accounting for one chat/generate/completions request. */
export async function serveGeneration(env: Env, route: string, cfg: ModelConfig, job: GenJob, sink: Sink, res: ServerResponse, keepAliveMs: number | undefined): Promise<void> {
  const life = new RequestLife(env, route, cfg, res);
  try {
    if (await preFaults(env, life, job.fault, (s, m) => sink.fail(s, m))) return;
    const err = await life.admit(keepAliveMs, job.prompt);
    if (err) {
      if (err.status !== 499) env.stats.rejected(err.status);
      sink.fail(err.status, err.message);
      return;
    }
    const r = await runGeneration(life, job, sink, performance.now());
    if (r === 'done') env.stats.completed(cfg.name);
  } finally {
    life.end(keepAliveMs);
  }
}

/**
 * Admission then a fixed amount of GPU work (model load with no prompt, an embedding batch),
 * then `respond`. `workMs` is simulated ms, slowed by box contention.
 */
export async function serveWork(
  env: Env,
  route: string,
  cfg: ModelConfig,
  res: ServerResponse,
  keepAliveMs: number | undefined,
  fault: FaultSpec | undefined,
  workMs: number,
  fail: (status: number, message: string) => void,
  respond: (timing: { totalNs: number; loadNs: number }) => void,
): Promise<void> {
  const life = new RequestLife(env, route, cfg, res);
  try {
    if (await preFaults(env, life, fault, fail)) return;
    const err = await life.admit(keepAliveMs);
    if (err) {
      if (err.status !== 499) env.stats.rejected(err.status);
      fail(err.status, err.message);
      return;
    }
    const admitted = performance.now();
    if (workMs > 0) {
      life.startCompute();
      life.phase = 'prefill';
      try {
        await sleep(life.realMs(workMs), life.signal);
      } catch {
        return;
      }
      if (fault?.kind === 'reset') {
        env.stats.fault('reset');
        life.selfReset = true;
        dropConnection(life);
        return;
      }
      if (fault?.kind === 'error') {
        env.stats.fault('error');
        env.stats.rejected(500);
        fail(500, fault.message ?? 'an error was encountered while running the model');
        return;
      }
    }
    respond({ totalNs: life.simNs(performance.now() - life.t0), loadNs: life.simNs(admitted - life.t0) });
    env.stats.completed(cfg.name);
  } finally {
    life.end(keepAliveMs);
  }
}
