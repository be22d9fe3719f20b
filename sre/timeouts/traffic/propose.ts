/**
 * Proposals for each timeout from observed traffic, with the evidence beside each, and a flag where
 * today's value would have cut requests that really happened. Margins: 1.5× the worst (or p99.9)
 * observation, rounded up; the reasoning per timer is the chain's (docs/design.md "Timeouts").
 */
import type { ClientTimeout } from '../layout.ts';
import { fmtMs, type Observed } from './observed.ts';
import type { Traffic } from './read-traffic.ts';

export interface Today {
  /** The clients' own timers (sre/timeouts/clients.ts): the chain's first hop. */
  clients?: readonly ClientTimeout[];
  edge?: { platform: 'fastly' | 'workers'; shielding: boolean; firstByteTimeoutMs: number; betweenBytesTimeoutMs: number };
  keepaliveMs: number;
  queueWaitMs?: number;
  upstreams: Array<{ name: string; firstByteTimeoutMs: number; idleTimeoutMs: number }>;
}

export type Verdict = 'ok' | 'would cut' | 'no data';

/** Where a timer sits, in the order a request meets them; `engine` is the origin's wait on its engine. */
export const HOPS = ['client', 'edge', 'origin', 'engine'] as const;
export type Hop = (typeof HOPS)[number];

export interface Proposal {
  hop: Hop;
  setting: string;
  todayMs: number;
  proposedMs?: number;
  verdict: Verdict;
  evidence: string;
  note: string;
}

const MARGIN = 1.5;
const P = 0.999;

/** Up to the next second below a minute, the next 5 s above. */
export function roundUp(ms: number): number {
  const step = ms < 60_000 ? 1_000 : 5_000;
  return Math.ceil(ms / step) * step;
}

const q = (o: Observed) => `${o.what}: p99.9 ${fmtMs(o.quantileMs(P))}, worst ${o.worst.text} (${o.counted})`;

function noData(hop: Hop, setting: string, todayMs: number, needs: string): Proposal {
  return { hop, setting, todayMs, verdict: 'no data', evidence: `no ${needs} in this source`, note: 'keep today’s value; measure again with traffic that has it' };
}

/**
 * A client's timer against what it would have waited: silences (idle) are bounded by the origin's
 * keepalive on SSE streams; a total timer outlasts whole requests (their durations, else at least
 * the TTFT); a first-byte timer waits at least the TTFT (a non-streaming answer takes its whole
 * generation: the generation rule of check:timeouts covers that).
 */
function clientProposal(c: ClientTimeout, t: Traffic, keepaliveMs: number): Proposal {
  const setting = `client ${c.name}: ${c.setting}`;
  const idle = c.kinds.includes('idle');
  const o = idle ? t.gap : c.kinds.includes('total') ? (t.duration ?? t.ttft) : t.ttft;
  if (!o) return noData('client', setting, c.timeoutMs, idle ? 'inter-token gaps' : 'TTFT or request durations');
  const longer = o.above(c.timeoutMs);
  const cut = idle ? keepaliveMs >= c.timeoutMs && longer.n > 0 : longer.n > 0;
  const proposed = roundUp(MARGIN * (idle ? Math.min(o.worst.ms, keepaliveMs) : o.quantileMs(P)));
  return {
    hop: 'client',
    setting,
    todayMs: c.timeoutMs,
    proposedMs: proposed,
    verdict: cut ? 'would cut' : 'ok',
    evidence: `${q(o)}${idle ? `; origin keepalive ${fmtMs(keepaliveMs)}` : ''}; ${longer.text}; default per ${c.source}`,
    note: cut
      ? `this client's default would have given up on real requests: raise ${c.setting} above ${fmtMs(proposed)}`
      : idle
        ? 'keepalives reset it: the longest silence a streaming client sees is the keepalive interval'
        : o === t.duration
          ? 'whole requests, to their last byte'
          : 'at least the TTFT; a non-streaming or whole answer takes longer (check:timeouts: client-total-above-generation)',
  };
}

export function propose(t: Traffic, today: Today): Proposal[] {
  const out: Proposal[] = [];
  for (const c of today.clients ?? []) out.push(clientProposal(c, t, today.keepaliveMs));
  const e = today.edge;
  const cap = e?.platform === 'fastly' && e.shielding ? 60_000 : Number.POSITIVE_INFINITY;

  if (e) {
    // Between bytes at the edge: the origin's keepalive bounds the silence the edge sees, unless the
    // origin itself stalls; it must outlast both with margin, within Fastly's 60 s between its nodes.
    const setting = `${e.platform} BETWEEN_BYTES_TIMEOUT_MS`;
    if (!t.gap) out.push(noData('edge', setting, e.betweenBytesTimeoutMs, 'inter-token gaps'));
    else {
      const need = Math.max(2 * today.keepaliveMs, MARGIN * t.gap.worst.ms);
      const proposed = Math.min(cap, roundUp(need));
      const longGaps = t.gap.above(e.betweenBytesTimeoutMs);
      const cut = today.keepaliveMs >= e.betweenBytesTimeoutMs && longGaps.n > 0;
      out.push({
        hop: 'edge',
        setting,
        todayMs: e.betweenBytesTimeoutMs,
        proposedMs: proposed,
        verdict: cut ? 'would cut' : 'ok',
        evidence: `${q(t.gap)}; origin keepalive ${fmtMs(today.keepaliveMs)}; ${longGaps.text}`,
        note: cut
          ? `gaps longer than the limit happened and the keepalive (${fmtMs(today.keepaliveMs)}) does not come sooner: streams were cut; raise to ${fmtMs(proposed)} or lower KEEPALIVE_INTERVAL_MS`
          : need > cap
            ? `the worst gap needs ${fmtMs(need)}, above Fastly's 60 s cap with shielding: keepalives must carry it (KEEPALIVE_INTERVAL_MS well below 60 s)`
            : `max(2 × keepalive, ${MARGIN} × worst gap)`,
      });
    }
    // First byte at the edge: the queue wait and the engine's first byte (a load, prefill) before any header.
    const fb = `${e.platform} FIRST_BYTE_TIMEOUT_MS`;
    if (t.queueWait || t.engineFirstByte) {
      const qw = t.queueWait?.quantileMs(P) ?? 0;
      const eng = t.engineFirstByte?.quantileMs(P) ?? 0;
      const proposed = roundUp(MARGIN * (qw + eng));
      const slow = t.ttft?.above(e.firstByteTimeoutMs);
      const cut = (slow?.n ?? 0) > 0 || qw + eng > e.firstByteTimeoutMs;
      out.push({
        hop: 'edge',
        setting: fb,
        todayMs: e.firstByteTimeoutMs,
        proposedMs: proposed,
        verdict: cut ? 'would cut' : 'ok',
        evidence: [t.queueWait && q(t.queueWait), t.engineFirstByte && q(t.engineFirstByte), slow && `TTFT ${slow.text}`].filter(Boolean).join('; '),
        note: cut ? `requests waited longer than the limit before their first byte: raise to ${fmtMs(proposed)}, or shorten the queue / keep models loaded` : `${MARGIN} × (queue wait p99.9 + engine first byte p99.9)`,
      });
    } else if (t.ttft) {
      const proposed = roundUp(MARGIN * t.ttft.quantileMs(P));
      const slow = t.ttft.above(e.firstByteTimeoutMs);
      out.push({ hop: 'edge', setting: fb, todayMs: e.firstByteTimeoutMs, proposedMs: proposed, verdict: slow.n > 0 ? 'would cut' : 'ok', evidence: `${q(t.ttft)}; ${slow.text}`, note: `${MARGIN} × TTFT p99.9 (no queue or engine timing in this source)` });
    } else out.push(noData('edge', fb, e.firstByteTimeoutMs, 'TTFT, queue wait or engine first byte'));
  }

  for (const u of today.upstreams) {
    const fb = `origin upstreams['${u.name}'].firstByteTimeoutMs`;
    if (!t.engineFirstByte) out.push(noData('engine', fb, u.firstByteTimeoutMs, 'engine first-byte times'));
    else {
      const slow = t.engineFirstByte.above(u.firstByteTimeoutMs);
      const proposed = roundUp(MARGIN * t.engineFirstByte.quantileMs(P));
      out.push({ hop: 'engine', setting: fb, todayMs: u.firstByteTimeoutMs, proposedMs: proposed, verdict: slow.n > 0 ? 'would cut' : 'ok', evidence: `${q(t.engineFirstByte)}; ${slow.text}`, note: slow.n > 0 ? `engine answers slower than the limit were failed (upstream_timeout): raise to ${fmtMs(proposed)}` : `${MARGIN} × engine first byte p99.9` });
    }
    const idle = `origin upstreams['${u.name}'].idleTimeoutMs`;
    if (!t.gap) out.push(noData('engine', idle, u.idleTimeoutMs, 'inter-token gaps'));
    else {
      // The engine sends no keepalives: its longest silence mid-stream is what this must outlast.
      const slow = t.gap.above(u.idleTimeoutMs);
      const proposed = roundUp(MARGIN * t.gap.worst.ms);
      out.push({ hop: 'engine', setting: idle, todayMs: u.idleTimeoutMs, proposedMs: proposed, verdict: slow.n > 0 ? 'would cut' : 'ok', evidence: `${q(t.gap)}; ${slow.text}`, note: slow.n > 0 ? `engine silences longer than the limit failed streams (upstream_idle_timeout): raise to ${fmtMs(proposed)}` : `${MARGIN} × worst gap` });
    }
  }

  if (today.queueWaitMs !== undefined) {
    const setting = 'origin admission.queueWaitMs';
    if (!t.queueWait) out.push(noData('origin', setting, today.queueWaitMs, 'queue waits'));
    else {
      // The queue limit is a policy (how long a user waits before a clear 503); traffic says whether it bites.
      const p = t.queueWait.quantileMs(P);
      const atLimit = t.queueWait.above(0.9 * today.queueWaitMs);
      const biting = atLimit.n > 0;
      out.push({
        hop: 'origin',
        setting,
        todayMs: today.queueWaitMs,
        proposedMs: biting ? roundUp(MARGIN * p) : today.queueWaitMs,
        verdict: biting ? 'would cut' : 'ok',
        evidence: `${q(t.queueWait)}; ${atLimit.text}`,
        note: biting ? `waits reached 90% of the limit: those requests got 503 queue_timeout; raise it (and the edge first byte with it) or add engine capacity` : 'waits stay well under the limit',
      });
    }
  }
  // A proposal below today's is the least this traffic needs; traffic without a cold load or a long
  // prompt says nothing about them, so lowering also has to pass the chain check.
  for (const p of out) {
    if (p.hop !== 'client' && p.verdict === 'ok' && p.proposedMs !== undefined && p.proposedMs < p.todayMs) {
      p.note = `${p.note}; the least this traffic needs: before lowering, run check:timeouts (cold loads, longest prompts) on the new value`;
    }
  }
  // In the order a request meets them: client, edge, origin, engine (sort is stable within a hop).
  return out.sort((a, b) => HOPS.indexOf(a.hop) - HOPS.indexOf(b.hop));
}
