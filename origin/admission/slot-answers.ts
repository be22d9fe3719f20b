/**
 * The slot scripts' answers (slot-lua.ts), checked before a replica acts on them. Each names the
 * request it is about, so an answer that reached the wrong command is asked again (the scripts are
 * idempotent per id) rather than read as a grant: during a Cluster failover ioredis 6 was seen to
 * resolve an acquire with another script's reply.
 */

/** An answer that is not the one for the script sent; the caller sends it again. */
export class MisdirectedAnswer extends Error {
  constructor(script: string) {
    super(`redis answered the ${script} slot script with an answer not meant for it`);
  }
}

export interface AcquireAnswer {
  /** 1 granted, 0 queued, -1 queue full. */
  status: 1 | 0 | -1;
  /** Waiting across every replica. */
  waiting: number;
  /** Queued because its tenant holds its share. */
  heldBack: boolean;
}

export function acquireAnswer(reply: unknown, id: string): AcquireAnswer {
  if (!Array.isArray(reply) || reply.length !== 5 || reply[4] !== id) throw new MisdirectedAnswer('acquire');
  const [status, , waiting, heldBack] = reply as [number, number, number, number, string];
  if (status !== 1 && status !== 0 && status !== -1) throw new MisdirectedAnswer('acquire');
  return { status, waiting, heldBack: heldBack === 1 };
}

/** The answers of an acquire script sent for several requests, one per id in their order. */
export function acquireAnswers(reply: unknown, ids: readonly string[]): AcquireAnswer[] {
  if (!Array.isArray(reply) || reply.length !== ids.length) throw new MisdirectedAnswer('acquire');
  return ids.map((id, i) => acquireAnswer(reply[i], id));
}

/** Per waiter id: 1 granted, 0 queued, 3 queued for its tenant's share, 2 unknown to Redis. */
export function sweepAnswer(reply: unknown, ids: readonly string[]): number[] {
  if (!Array.isArray(reply) || reply.length !== ids.length + 1 || reply[ids.length] !== ids[0]) throw new MisdirectedAnswer('sweep');
  return reply.slice(0, ids.length) as number[];
}
