import { setTimeout as sleep } from 'node:timers/promises';
import { buildOrigin, rssBytes, startOriginProcess, type OriginRuntime } from './processes.ts';
import { percentile, sortedCopy } from './stats.ts';

export interface Footprint {
  runtime: OriginRuntime;
  /** Spawn to the first 200 from /healthz, median of the runs. */
  startMs: number;
  /** Resident memory once started and settled, median of the runs. */
  idleRssMiB: number;
}

/**
 * Start time and idle RSS of the origin as production runs it (built JavaScript under plain node)
 * and as development runs it (tsx), alternated run by run so machine noise hits both alike.
 */
export async function originFootprints(env: Record<string, string>, runs = 3): Promise<Footprint[]> {
  buildOrigin();
  const samples: Record<OriginRuntime, { start: number[]; rss: number[] }> = { built: { start: [], rss: [] }, tsx: { start: [], rss: [] } };
  for (let i = 0; i < runs; i++) {
    for (const runtime of ['built', 'tsx'] as const) {
      const origin = await startOriginProcess(env, runtime);
      try {
        // Let start-up garbage be collected and lazy modules settle before reading RSS.
        await sleep(1_500);
        samples[runtime].start.push(origin.startedMs);
        samples[runtime].rss.push(rssBytes(origin.pid) / 1048576);
      } finally {
        await origin.stop();
      }
    }
  }
  return (['built', 'tsx'] as const).map((runtime) => ({
    runtime,
    startMs: percentile(sortedCopy(samples[runtime].start), 50),
    idleRssMiB: percentile(sortedCopy(samples[runtime].rss), 50),
  }));
}
