/**
 * One generation route, whatever the client's dialect and whatever the engine's: the client's
 * request becomes a Generation, the upstream dialect of the routed engine makes its request,
 * and the engine's answer comes back as events that the client dialect writes in its own wire.
 * Token counts come from the engine and land in the request record (estimated only for an answer
 * the origin ended at a stop sequence, which the engine never finished).
 */
import type { Context } from 'hono';
import type { RouteEntry } from '../../shared/routes.ts';
import { validatedBody } from '../http/request-facts.ts';
import { sendJson, sendWhole } from '../http/send-json.ts';
import type { DialectDeps } from './deps.ts';
import { jsonExchange, streamExchange, type StreamExchange } from '../pipeline/exchange.ts';
import type { OpenedUpstream } from '../pipeline/open-upstream.ts';
import { chargeUsage, type RequestRecord } from '../core/record.ts';
import type { UpstreamCall } from '../core/upstream.ts';
import type { ResolvedModel } from '../upstream/registry.ts';
import type { OriginEnv } from '../core/env.ts';
import type { ClientDialect, GenerationDialect, StreamWriter } from './client/dialect.ts';
import { translate } from './translate.ts';
import type { Passthrough, WholeAnswer } from '../upstream/dialects/dialect.ts';
import type { Framing } from '../stream/framing.ts';
import type { ChunkRelay, Emit } from '../stream/stream-response.ts';
import { CITATIONS_HEADER, citationsHeader, retrievalForChat } from '../retrieval/chat-hook.ts';
import type { Generation, GenerationContext, Message } from '../core/generation.ts';
import { estimatePromptTokens } from './prompt-estimate.ts';
import { resultUntilStop } from './stop-sequences.ts';

/** Retrieved passages as a Generation's own system turn. */
const systemMessage = (context: string): Message => ({ role: 'system', text: context });

/** A generation dialect as the origin serves it: its body read once, its routes by the one pipeline below. */
export function generationDialect<Req extends { model: string; stream?: boolean | undefined }>(dialect: GenerationDialect<Req>): ClientDialect {
  return { body: () => dialect, handler: (deps, route) => generationRoute(deps, route, dialect) };
}

/**
 * One generation request from its validated body on: everything its exchange asks of it (the
 * engine's request for a target, the relay of the engine's answer) in one object, not a closure
 * per question.
 */
class GenerationRequest<Req extends { model: string; stream?: boolean | undefined }> implements StreamExchange {
  readonly model: string;
  readonly priority: RouteEntry['priority'];
  readonly stream: boolean;
  readonly ctx: GenerationContext;
  /** Translated up front unless the dialect translates on demand; see generation(). */
  gen: Generation | undefined;
  /** The client's own body may still be relayed as is (no passages were added to a Generation). */
  keepsBody = true;
  writer: StreamWriter | undefined;
  framing!: Framing;

  constructor(
    private readonly dialect: GenerationDialect<Req>,
    private readonly route: RouteEntry,
    readonly req: Req,
    readonly rec: RequestRecord,
  ) {
    this.model = req.model;
    this.priority = route.priority;
    this.stream = dialect.stream(req);
    this.ctx = { requestId: rec.requestId };
    // Before routing: a request the dialect cannot translate is a 400 that holds no slot.
    this.gen = dialect.translatesOnDemand ? undefined : dialect.toGeneration(req);
  }

  generation(): Generation {
    return (this.gen ??= this.dialect.toGeneration(this.req));
  }

  /** The target's own dialect serves it, when it speaks the client's wire and the body is still the client's. */
  relayed(t: ResolvedModel): Passthrough | undefined {
    return this.keepsBody && this.dialect.passthroughWire === t.upstream.dialect.wire ? t.upstream.dialect.passthrough : undefined;
  }

  build(t: ResolvedModel): UpstreamCall {
    const same = this.relayed(t);
    const { route } = this;
    if (same) return { method: 'POST', path: route.path, body: same.body(this.req, t.upstreamModel, this.stream, t.upstream.cfg, route.persona), shape: route.persona };
    // Built on the first such target when translated on demand: a body it cannot take is a 400 before any slot is held.
    const g = this.generation();
    // Stops the origin matches need the answer as it is generated, whole answers included.
    const asked = g.stopSequences && !g.stream ? { ...g, stream: true } : g;
    return t.upstream.dialect.generate(asked, { upstreamModel: t.upstreamModel, cfg: t.upstream.cfg });
  }

  /** A stream's framing, and its writer when it is due up front. */
  prepareStream(): void {
    const { dialect, req, gen } = this;
    const framing = typeof dialect.framing === 'function' ? dialect.framing(req) : dialect.framing;
    // Made up front when the request is already translated and can only go on translated (its
    // error frames may be due before the engine answers); a dialect that may be relayed as is,
    // or is translated on demand, makes it when it translates (its errors are its framing's).
    this.writer = gen && !dialect.passthroughWire ? dialect.writer(req, this.ctx, gen) : undefined;
    const error = this.writer?.error;
    this.framing = error ? { ...framing, error } : framing;
  }

  relay(opened: OpenedUpstream, emit: Emit): ChunkRelay {
    const { dialect, req, rec, ctx } = this;
    const same = this.relayed(opened);
    if (same) return same.relay(opened, emit, { includeUsage: dialect.includeUsage?.(req) ?? false, rec });
    const gen = this.generation();
    const writer = (this.writer ??= dialect.writer(req, ctx, gen));
    for (const frame of writer.start()) emit(frame);
    const stops = gen.stopSequences && {
      sequences: gen.stopSequences,
      promptEstimate: estimatePromptTokens(gen),
      // The stream ends as whole on this read, and its end lets go of the body gently
      // (reading the engine's last bytes for up to a second); the engine is still
      // generating past the stop, so it is cut off at once, once the stream has ended.
      onHit: () => queueMicrotask(() => opened.res.body.destroy()),
    };
    return translate(opened.upstream.dialect.decoder(opened, ctx), writer, emit, rec, stops || undefined);
  }

  /** A whole (non-streamed) answer, in the client's wire. */
  async whole(opened: OpenedUpstream): Promise<WholeAnswer> {
    const { dialect, req, rec, ctx } = this;
    const same = this.relayed(opened);
    if (same) return same.whole(opened, req.model, rec);
    const gen = this.generation();
    const result = gen.stopSequences ? await resultUntilStop(opened, ctx, gen.stopSequences, estimatePromptTokens(gen)) : await opened.upstream.dialect.result(opened, ctx);
    chargeUsage(rec, result.usage);
    return { kind: 'json', value: dialect.response(result, req, ctx) };
  }
}

export function generationRoute<Req extends { model: string; stream?: boolean | undefined }>(deps: DialectDeps, route: RouteEntry, dialect: GenerationDialect<Req>) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const g = new GenerationRequest(dialect, route, await validatedBody(c, dialect), c.get('record'));
    const { req, gen } = g;
    // A retrieval alias: the passages join the conversation before any engine's request is built,
    // whichever dialect the client speaks: in the client's own turns when the dialect keeps its
    // body relayable, else in the Generation, and then the request is no longer the client's own body.
    // Without a retrieval stage there is nothing to wait for.
    const ownTurns = deps.retrieval ? dialect.retrievalMessages?.(req) : undefined;
    const rag = !deps.retrieval
      ? undefined
      : ownTurns
        ? await retrievalForChat(c, deps, req.model, ownTurns, route.priority)
        : gen?.input.kind === 'chat'
          ? await retrievalForChat(c, deps, gen.model, gen.input.messages, route.priority, systemMessage)
          : undefined;
    g.keepsBody = !rag || dialect.retrievalMessages !== undefined;

    if (g.stream) {
      g.prepareStream();
      const res = await streamExchange(c, deps, g);
      if (rag?.wanted) res.headers.set(CITATIONS_HEADER, citationsHeader(rag.citations));
      return res;
    }

    const answer = await jsonExchange(c, deps, g, (opened) => g.whole(opened));
    if (!rag?.wanted) return sendWhole(c, answer);
    // A body kept relayable carries the citations in the header only (its answer may be the engine's own bytes).
    if (!dialect.retrievalMessages && answer.kind === 'json') return sendJson(c, { ...(answer.value as object), citations: rag.citations }, 200, { [CITATIONS_HEADER]: citationsHeader(rag.citations) });
    const res = sendWhole(c, answer);
    res.headers.set(CITATIONS_HEADER, citationsHeader(rag.citations));
    return res;
  };
}
