import { z } from 'zod';
import { phasesOf } from '../core/phases.ts';
import { recordedModel, type RequestRecord } from '../core/record.ts';

/**
 * One line of the audit trail: metadata of one request. Prompt and completion text appear only
 * under `content`, only for tenants whose policy enables content logging.
 */
export const auditRecordSchema = z.object({
  type: z.literal('request'),
  id: z.string(),
  tenant: z.string(),
  via: z.string(),
  country: z.string().nullable(),
  pop: z.string().nullable(),
  region: z.string(),
  node: z.string(),
  route: z.string(),
  stream: z.boolean(),
  publicModel: z.string().nullable(),
  upstreamModel: z.string().nullable(),
  upstream: z.string().nullable(),
  receivedAt: z.string(),
  queuedAt: z.string().nullable(),
  admittedAt: z.string().nullable(),
  firstByteAt: z.string().nullable(),
  endedAt: z.string(),
  ttftMs: z.number().nullable(),
  queueMs: z.number().nullable(),
  durationMs: z.number(),
  status: z.number().nullable(),
  outcome: z.enum(['ok', 'client_cancelled', 'client_stalled', 'upstream_error', 'rejected', 'error']),
  /** Error code: why it was rejected or failed (rate_limited, upstream_reset, …). */
  reason: z.string().nullable(),
  promptTokens: z.number().nullable(),
  completionTokens: z.number().nullable(),
  bytesIn: z.number(),
  bytesOut: z.number(),
  keepalives: z.number(),
  /** Milliseconds per phase (retrieval, prompt build, queue, inference, streaming); null where a phase did not happen. */
  phases: z.object({ retrieval: z.number().nullable(), promptBuild: z.number().nullable(), queue: z.number().nullable(), inference: z.number().nullable(), streaming: z.number().nullable() }).optional(),
  /** A retrieval alias's collection and the chunks it used: ids and scores, never their text. */
  retrieval: z
    .object({
      collection: z.string(),
      candidates: z.number(),
      chunks: z.number(),
      citations: z.array(z.object({ document: z.string(), chunk: z.string(), score: z.number() })),
      tokensUsed: z.number(),
      tokensSaved: z.object({ dedup: z.number(), topK: z.number(), budget: z.number() }),
    })
    .optional(),
  promptDigest: z.string().optional(),
  content: z.object({ prompt: z.unknown(), completion: z.string().optional() }).optional(),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;

const iso = (ms: number | undefined) => (ms === undefined ? null : isoString(ms));

/** The second last formatted, and its ISO text up to the milliseconds (`2026-12-06T11:20:59.`). */
let isoSecond = NaN;
let isoPrefix = '';

/**
 * `new Date(ms).toISOString()`, with the date and time of day formatted once a second: a
 * request's four timestamps, and the requests ending together, mostly fall in the same second.
 */
export function isoString(ms: number): string {
  // As Date does: the milliseconds truncated toward zero, then split into second and millisecond.
  const t = Math.trunc(ms);
  const second = Math.floor(t / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    isoSecond = second;
  }
  return isoPrefix + MILLIS[t - second * 1000]!;
}

/** `000Z` … `999Z`: the end of every ISO string, made once (one join per timestamp, not three). */
const MILLIS = Array.from({ length: 1000 }, (_, m) => `${String(m).padStart(3, '0')}Z`);

/** Builds the audit line object; key order is fixed (the type first) so lines are recognisable by prefix. */
export function toAuditRecord(rec: RequestRecord, where: { region: string; node: string }): AuditRecord {
  const ended = rec.endedAt ?? Date.now();
  const queueFrom = rec.queuedAt;
  const r: AuditRecord = {
    type: 'request',
    id: rec.requestId,
    tenant: rec.tenant.id,
    via: rec.tenant.via,
    country: rec.tenant.country ?? null,
    pop: rec.tenant.pop ?? null,
    region: where.region,
    node: where.node,
    route: rec.route,
    stream: rec.stream,
    publicModel: recordedModel(rec) ?? null,
    upstreamModel: rec.upstreamModel ?? null,
    upstream: rec.upstream ?? null,
    receivedAt: iso(rec.receivedAt)!,
    queuedAt: iso(queueFrom),
    admittedAt: iso(rec.admittedAt),
    firstByteAt: iso(rec.firstByteAt),
    endedAt: iso(ended)!,
    ttftMs: rec.firstByteAt === undefined ? null : rec.firstByteAt - rec.receivedAt,
    queueMs: rec.admittedAt === undefined ? null : rec.admittedAt - (queueFrom ?? rec.receivedAt),
    durationMs: ended - rec.receivedAt,
    status: rec.status ?? null,
    outcome: rec.outcome ?? 'error',
    reason: rec.errorCode ?? null,
    promptTokens: rec.promptTokens ?? null,
    completionTokens: rec.completionTokens ?? null,
    bytesIn: rec.bytesIn,
    bytesOut: rec.bytesOut,
    keepalives: rec.keepalives,
  };
  // Assigned, not spread into the literal (a spread that adds a field costs V8 a runtime store); same key order.
  if (rec.admittedAt !== undefined || rec.retrieval) r.phases = phasesOf(rec);
  const rt = rec.retrieval;
  if (rt) {
    r.retrieval = {
      collection: rt.collection,
      candidates: rt.candidates,
      chunks: rt.citations.length,
      citations: rt.citations.map((c) => ({ document: c.document, chunk: c.chunk, score: c.score })),
      tokensUsed: rt.tokensUsed,
      tokensSaved: rt.tokensSaved,
    };
  }
  return r;
}
