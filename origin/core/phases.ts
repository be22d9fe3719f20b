import type { RequestRecord } from './record.ts';

/** Where one request's time went, in order; null for a phase it did not have. */
export interface Phases {
  retrieval: number | null;
  promptBuild: number | null;
  queue: number | null;
  /** From admission to the first byte to the client (engine scheduling, prefill, first token). */
  inference: number | null;
  /** From the first byte to the last (streams only). */
  streaming: number | null;
}

export const PHASE_NAMES = ['retrieval', 'promptBuild', 'queue', 'inference', 'streaming'] as const satisfies ReadonlyArray<keyof Phases>;

const ms = (n: number) => Math.round(n * 10) / 10;

export function phasesOf(rec: RequestRecord): Phases {
  const r = rec.retrieval;
  const ended = rec.endedAt ?? Date.now();
  return {
    retrieval: r ? ms(r.retrievalMs) : null,
    promptBuild: r ? ms(r.promptBuildMs) : null,
    queue: rec.admittedAt === undefined ? null : rec.admittedAt - (rec.queuedAt ?? rec.admittedAt),
    inference: rec.admittedAt === undefined || rec.firstByteAt === undefined ? null : Math.max(0, rec.firstByteAt - rec.admittedAt),
    streaming: rec.stream && rec.firstByteAt !== undefined ? Math.max(0, ended - rec.firstByteAt) : null,
  };
}
