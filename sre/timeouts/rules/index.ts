import type { Rule } from '../finding.ts';
import { clientIdleAboveEdge } from './client-idle-above-edge.ts';
import { clientTotalAboveGeneration } from './client-total-above-generation.ts';
import { fastlyBetweenBytesCap } from './fastly-between-bytes-cap.ts';
import { firstByteCoversQueueAndLoad } from './first-byte-covers-queue-and-load.ts';
import { keepaliveBelowIdle } from './keepalive-below-idle.ts';
import { originFirstByteCoversLoad } from './origin-first-byte-covers-load.ts';
import { healthPollWithinInterval } from './health-poll-within-interval.ts';
import { shutdownGraceWithinStopTimeout } from './shutdown-grace-within-stop-timeout.ts';

/** In path order: client-facing idle timers first, then first-byte timers, then generation length, then the origin's own. */
export const rules: readonly Rule[] = [
  keepaliveBelowIdle,
  clientIdleAboveEdge,
  fastlyBetweenBytesCap,
  firstByteCoversQueueAndLoad,
  originFirstByteCoversLoad,
  clientTotalAboveGeneration,
  healthPollWithinInterval,
  shutdownGraceWithinStopTimeout,
];
