/** Runs one step of load, bounded by time and by request count, and collects raw samples. */
import { sendOne, type RequestSample } from './client.ts';
import type { StepSpec, Target } from './config.ts';
import { mulberry32, type PromptSource } from './prompts.ts';

export interface StepRun {
  step: StepSpec;
  target: string;
  samples: RequestSample[];
  /** From the first request sent to the last one finished. */
  wallMs: number;
}

export interface RunOptions {
  model: string;
  durationMs: number;
  maxRequests?: number;
  timeoutMs: number;
  seed: number;
  onSample?(s: RequestSample): void;
}

export async function runStep(target: Target, step: StepSpec, prompts: PromptSource, o: RunOptions): Promise<StepRun> {
  const start = performance.now();
  const deadline = start + o.durationMs;
  const max = o.maxRequests ?? Infinity;
  const samples: RequestSample[] = [];
  let sent = 0;
  const one = async () => {
    sent++;
    const s = await sendOne(target, o.model, prompts.next(), { timeoutMs: o.timeoutMs, stepStart: start });
    samples.push(s);
    o.onSample?.(s);
  };
  if (step.kind === 'concurrency') {
    // Closed loop: N clients, each sends its next request when the last one ends.
    const worker = async () => {
      while (performance.now() < deadline && sent < max) await one();
    };
    await Promise.all(Array.from({ length: step.value }, worker));
  } else {
    // Open loop: Poisson arrivals at the rate, whatever the server does (shows queueing honestly).
    const rnd = mulberry32(o.seed);
    const inflight: Promise<void>[] = [];
    let next = start;
    while (next < deadline && sent < max) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(one());
      next += (-Math.log(1 - rnd()) / step.value) * 1000;
    }
    await Promise.all(inflight);
  }
  return { step, target: target.name, samples, wallMs: performance.now() - start };
}
