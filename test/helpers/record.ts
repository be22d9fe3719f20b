import type { RequestRecord } from '../../origin/pipeline/record.ts';
import type { EngineTimings } from '../../origin/upstream/engine-timings.ts';

/**
 * A finished, successful streamed request record on upstream `a`, model `m` (override either),
 * with the engine's timings and the origin's queue, first-byte and total times in ms.
 */
export function finishedRecord(engine: EngineTimings, times: { queue?: number; ttft?: number; total?: number } = {}, where: { upstream?: string; model?: string } = {}): RequestRecord {
  const t0 = Date.now();
  const admitted = t0 + (times.queue ?? 0);
  return {
    requestId: 'r',
    route: '/v1/chat/completions',
    tenant: { id: 't', via: 'none' },
    stream: true,
    receivedAt: t0,
    queuedAt: t0,
    admittedAt: admitted,
    firstByteAt: admitted + (times.ttft ?? 100),
    endedAt: admitted + (times.total ?? 500),
    outcome: 'ok',
    upstream: where.upstream ?? 'a',
    upstreamModel: where.model ?? 'm',
    engine,
    bytesIn: 0,
    bytesOut: 0,
    keepalives: 0,
  };
}
