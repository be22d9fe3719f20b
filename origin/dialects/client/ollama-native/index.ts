import type { Context } from 'hono';
import type { z } from 'zod';
import {
  ollamaChatRequestSchema,
  ollamaEmbeddingsRequestSchema,
  ollamaEmbedRequestSchema,
  ollamaGenerateRequestSchema,
  ollamaShowRequestSchema,
} from '../../../../shared/schemas/ollama.ts';
import { slotsOf } from '../../../pipeline/admission.ts';
import { readJson } from '../../../http/read-json.ts';
import type { OriginDeps } from '../../../pipeline/deps.ts';
import { jsonExchange, streamExchange } from '../../../pipeline/exchange.ts';
import type { OpenedUpstream } from '../../../pipeline/open-upstream.ts';
import { chargeUsage, type RequestRecord } from '../../../pipeline/record.ts';
import { ollamaTimings } from '../../../upstream/engine-timings.ts';
import type { RouteEntry } from '../../../../shared/routes.ts';
import { alreadyFramed, type ChunkRelay, type Emit } from '../../../stream/stream-response.ts';
import { ndjsonFraming } from '../../../stream/framing.ts';
import { upstreamFailures } from '../../../upstream/errors.ts';
import type { UpstreamConfig } from '../../../config/schema.ts';
import type { OriginEnv } from '../../../types.ts';
import { CITATIONS_HEADER, citationsHeader, retrievalForChat } from '../../../retrieval/chat-hook.ts';
import type { UpstreamCall } from '../../../pipeline/open-upstream.ts';
import type { ResolvedModel } from '../../../upstream/registry.ts';
import { sendJson } from '../../../http/send-json.ts';
import type { Generation, GenerationContext } from '../../generation.ts';
import { translate } from '../../translate.ts';
import { nativeChatToGeneration, nativeGenerateToGeneration } from './to-generation.ts';
import { nativeQueuedLine, nativeResponse, nativeWriter } from './writer.ts';


type NativeBody = { model: string; stream?: boolean } & Record<string, unknown>;

/** Each native model route's body, typed as Ollama decodes it (shared/schemas/ollama.ts). */
const SCHEMAS: Record<string, z.ZodType<NativeBody>> = {
  '/api/chat': ollamaChatRequestSchema,
  '/api/generate': ollamaGenerateRequestSchema,
  '/api/embed': ollamaEmbedRequestSchema,
  '/api/embeddings': ollamaEmbeddingsRequestSchema,
  '/api/show': ollamaShowRequestSchema,
};

/** Per-upstream defaults an Ollama client did not set itself (its own values always win). */
function withDefaults(body: Record<string, unknown>, model: string, up: UpstreamConfig, hasOptions: boolean): string {
  const out: Record<string, unknown> = { ...body, model };
  if (out.keep_alive === undefined && up.keepAlive !== undefined) out.keep_alive = up.keepAlive;
  if (hasOptions && up.numCtx) {
    const opts = { ...((body.options as Record<string, unknown> | undefined) ?? {}) };
    opts.num_ctx ??= up.numCtx;
    out.options = opts;
  }
  return JSON.stringify(out);
}

const NEWLINE = Uint8Array.of(0x0a);

/** Ollama's final object carries the engine's own token counts; usage and quotas are charged from them. */
function recordCounts(rec: RequestRecord, final: Parameters<typeof ollamaTimings>[0]): void {
  if (typeof final.prompt_eval_count !== 'number' && typeof final.eval_count !== 'number') return;
  chargeUsage(rec, {
    promptTokens: typeof final.prompt_eval_count === 'number' ? final.prompt_eval_count : (rec.promptTokens ?? 0),
    completionTokens: typeof final.eval_count === 'number' ? final.eval_count : 0,
    engine: ollamaTimings(final),
  });
}

/** The final `done:true` line is small; it never needs more than the last few KiB of the stream. */
const TAIL_BYTES = 4096;
/**
 * `"done":true` sits near the start of /api/generate's final line (before a `context` that can
 * run to megabytes) and near the end of /api/chat's (after the message, before the counts), so
 * the start of the last line is kept as well as the stream's tail.
 */
const HEAD_BYTES = 512;
const DONE = '"done":true';

/** The first HEAD_BYTES of the stream's last line, kept across chunks without allocating. */
class LastLineHead {
  readonly bytes = new Uint8Array(HEAD_BYTES);
  len = 0;
  /** The previous chunk ended a line: the next byte starts a new one. */
  private lineEnded = false;

  add(chunk: Uint8Array): void {
    const nl = chunk.lastIndexOf(0x0a);
    if (nl === -1) return this.append(chunk, 0, chunk.length);
    if (nl < chunk.length - 1) {
      this.len = 0;
      this.lineEnded = false;
      return this.append(chunk, nl + 1, chunk.length);
    }
    // The chunk ends a line: that line began after the previous newline in it, or earlier.
    const prev = chunk.lastIndexOf(0x0a, nl - 1);
    if (prev >= 0) this.len = 0;
    this.append(chunk, prev + 1, nl);
    this.lineEnded = true;
  }

  private append(chunk: Uint8Array, from: number, to: number): void {
    if (this.lineEnded) {
      this.len = 0;
      this.lineEnded = false;
    }
    const n = Math.min(to - from, HEAD_BYTES - this.len);
    if (n > 0) {
      this.bytes.set(chunk.subarray(from, from + n), this.len);
      this.len += n;
    }
  }

  text(): string {
    return new TextDecoder().decode(this.bytes.subarray(0, this.len));
  }
}

/**
 * Raw bytes, as Ollama sent them, each read relayed as it came. Only the stream's tail is kept,
 * to read the engine's counts from the last line. On failure a cut-off line is ended first, so
 * the error line that follows is a line of its own for the client's parser.
 */
function relayRaw(rec: RequestRecord) {
  return (opened: OpenedUpstream, emit: Emit): ChunkRelay => {
    let lineOpen = false;
    // One buffer per stream: the tail is kept without an allocation per chunk.
    const tail = new Uint8Array(TAIL_BYTES);
    let tailLen = 0;
    const head = new LastLineHead();
    return {
      chunk(chunk) {
        if (chunk.length === 0) return false;
        lineOpen = chunk[chunk.length - 1] !== 0x0a;
        tailLen = keepTail(tail, tailLen, chunk);
        head.add(chunk);
        emit(chunk);
        return false;
      },
      end() {
        const text = new TextDecoder().decode(tail.subarray(0, tailLen)).trimEnd();
        const last = text.slice(text.lastIndexOf('\n') + 1);
        if (last.includes(DONE) || head.text().includes(DONE)) {
          try {
            recordCounts(rec, JSON.parse(last) as Record<string, unknown>);
          } catch {
            // A tail cut mid-line (a final object over 4 KiB): the counts stay the estimate.
          }
          return;
        } else if (last.includes('"error"')) {
          // Ollama failed the stream with its own error line, already relayed: the request failed.
          let message: unknown;
          try {
            message = (JSON.parse(last) as { error?: unknown }).error;
          } catch {
            // Not a whole error object: nothing more to say about it.
          }
          if (typeof message === 'string') throw alreadyFramed(upstreamFailures.midStream(opened.upstream.name, message));
        }
        // Neither a done line nor an error: Ollama ends a 200 like this when it aborts a prediction
        // (token-repeat limit). The client gets Ollama's error line; the record, an upstream error.
        if (lineOpen) emit(NEWLINE);
        throw upstreamFailures.truncated(opened.upstream.name);
      },
      fail(err) {
        if (lineOpen) emit(NEWLINE);
        return opened.upstream.bodyFailure(err);
      },
    };
  };
}

/** Appends `chunk` to the last `len` bytes kept in `tail` (at most TAIL_BYTES); returns the new length. */
function keepTail(tail: Uint8Array, len: number, chunk: Uint8Array): number {
  if (chunk.length >= TAIL_BYTES) {
    tail.set(chunk.subarray(chunk.length - TAIL_BYTES), 0);
    return TAIL_BYTES;
  }
  const keep = Math.min(len, TAIL_BYTES - chunk.length);
  if (keep < len) tail.copyWithin(0, len - keep, len);
  tail.set(chunk, keep);
  return keep + chunk.length;
}

/**
 * A whole (non-streamed) answer: read once, counts recorded, bytes returned unchanged. A
 * generation that never reached `done` (Ollama's token-repeat abort answers `"done":false`) is a
 * truncated upstream, not an answer.
 */
async function passResponse(opened: OpenedUpstream, rec: RequestRecord, generation: boolean): Promise<Response> {
  const type = opened.res.headers['content-type'];
  const bytes = new Uint8Array(await opened.res.body.arrayBuffer());
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    // Not JSON (should not happen on 2xx): relay it anyway; Ollama's client will say what is wrong.
  }
  if (generation && parsed?.done === false) throw upstreamFailures.truncated(opened.upstream.name);
  if (parsed) recordCounts(rec, parsed);
  return new Response(bytes, {
    status: opened.res.statusCode,
    headers: { 'content-type': typeof type === 'string' ? type : 'application/json', 'content-length': String(bytes.byteLength), 'x-request-id': rec.requestId },
  });
}

/** The client's body as a Generation, for an engine that does not speak Ollama's wire. */
function generationOf(path: string, body: NativeBody): Generation | undefined {
  if (path === '/api/chat') return nativeChatToGeneration(body as Parameters<typeof nativeChatToGeneration>[0]);
  if (path === '/api/generate') return nativeGenerateToGeneration(body as Parameters<typeof nativeGenerateToGeneration>[0]);
  return undefined;
}

/** An /api/embed or /api/embeddings body as an OpenAI-compatible engine's embedding call. */
function embedCall(path: string, body: NativeBody, t: ResolvedModel): UpstreamCall {
  const input = (path === '/api/embed' ? body.input : body.prompt) as string | string[] | undefined;
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : undefined;
  const raw = { input: input ?? '', ...(dimensions !== undefined ? { dimensions } : {}) };
  return t.upstream.dialect.embed({ input: raw.input, dimensions, raw }, { upstreamModel: t.upstreamModel, cfg: t.upstream.cfg });
}

/**
 * `POST /api/chat|generate|embed|embeddings|show`: routed by model. To an Ollama upstream the
 * body is relayed and the answer comes back as Ollama wrote it, so the official clients work
 * unchanged; to an OpenAI-compatible engine chat, generate and the embedding routes are
 * translated both ways (/api/show is Ollama's own and stays Ollama-only).
 */
export function nativeModelRoute(deps: OriginDeps, route: RouteEntry) {
  // Generation routes stream; /api/show, the one unmetered model route, is metadata (it has no
  // options to default).
  const streams = route.metered === 'generation';
  const show = route.metered === false;
  const embeds = route.path === '/api/embed' || route.path === '/api/embeddings';
  const schema = SCHEMAS[route.path];
  if (!schema) throw new Error(`no Ollama-native request schema for ${route.path}`);
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const body = await readJson(c, schema);
    const rec = c.get('record');
    const ctx: GenerationContext = { requestId: rec.requestId };
    const chat = route.path === '/api/chat';
    const rag = route.persona === 'chat' && Array.isArray(body.messages) ? await retrievalForChat(c, deps, body.model, body.messages as Array<{ role: string }>, route.priority) : undefined;
    let gen: Generation | undefined;
    const open = {
      model: body.model,
      priority: route.priority,
      ...(show ? { wire: 'ollama' as const } : {}),
      slots: slotsOf(body.input),
      build: (t: ResolvedModel): UpstreamCall => {
        if (t.upstream.dialect.wire !== 'ollama') {
          if (embeds) return embedCall(route.path, body, t);
          // Built on the first such target: a body it cannot take is a 400 before any slot is held.
          gen ??= generationOf(route.path, body);
          if (gen) return t.upstream.dialect.generate(gen, { upstreamModel: t.upstreamModel, cfg: t.upstream.cfg });
        }
        return {
          method: 'POST' as const,
          path: route.path,
          body: show ? JSON.stringify({ ...body, model: t.upstreamModel }) : withDefaults(body, t.upstreamModel, t.upstream.cfg, true),
          shape: route.persona,
        };
      },
    };
    const relay = (opened: OpenedUpstream, emit: Emit): ChunkRelay =>
      opened.upstream.dialect.wire === 'ollama' ? relayRaw(rec)(opened, emit) : translate(opened.upstream.dialect.decoder(opened, ctx), nativeWriter(body.model, chat), emit, rec);
    const whole = async (opened: OpenedUpstream): Promise<Response> => {
      if (opened.upstream.dialect.wire === 'ollama') return passResponse(opened, rec, streams);
      if (embeds) {
        const { vectors, promptTokens } = await opened.upstream.dialect.embeddings(opened);
        chargeUsage(rec, { promptTokens, completionTokens: 0 });
        return sendJson(c, route.path === '/api/embed' ? { model: body.model, embeddings: vectors, prompt_eval_count: promptTokens } : { embedding: vectors[0] ?? [] });
      }
      const result = await opened.upstream.dialect.result(opened, ctx);
      chargeUsage(rec, result.usage);
      return sendJson(c, nativeResponse(body.model, chat, result));
    };
    const res = streams && body.stream !== false ? await streamExchange(c, deps, { ...open, framing: { ...ndjsonFraming, queued: (s) => nativeQueuedLine(body.model, chat, s) }, relay }) : await jsonExchange(c, deps, open, whole);
    if (rag?.wanted) res.headers.set(CITATIONS_HEADER, citationsHeader(rag.citations));
    return res;
  };
}
