import type { GateSnapshot } from '../../admission/controller.ts';

/** What "Now" shows: metadata of streams in flight and recent timings, never any request text. */
export interface LiveStream {
  id: string;
  replica: string;
  tenant: string;
  model: string | null;
  route: string;
  upstream: string | null;
  /** queued: waiting for a slot; starting: admitted, no first byte yet; streaming: tokens flowing. */
  state: 'queued' | 'starting' | 'streaming';
  /** Epoch ms the request arrived. */
  since: number;
}

export interface RecentStats {
  /** Seconds the figures cover (ended streams only). */
  windowS: number;
  streams: number;
  ttftP50: number | null;
  ttftP95: number | null;
  /** Time per output token (streaming time / completion tokens), ms. */
  tpotP50: number | null;
  tpotP95: number | null;
  /** Completion tokens per second over the window, all streams together. */
  tokensPerS: number;
  /** Ended requests by error class (the record's outcome and code), e.g. `upstream_error:upstream_reset`. */
  errors: Record<string, number>;
}

/** The part of the admission's own snapshot that "Now" publishes for other replicas. */
export type SlotState = Pick<GateSnapshot, 'upstream' | 'model' | 'active' | 'queued' | 'limit' | 'scope'>;

export interface ReplicaNow {
  replica: string;
  at: number;
  streams: LiveStream[];
  stats: RecentStats;
  slots: SlotState[];
}

export interface NowView {
  at: number;
  /** `redis`: every replica that published in the last seconds; `local`: this replica alone. */
  scope: 'redis' | 'local';
  replicas: ReplicaNow[];
}
