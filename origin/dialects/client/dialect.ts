/**
 * What a client dialect (the wire a client speaks: OpenAI chat, Anthropic Messages, Ollama's
 * native API…) is to the origin. Every route in the route table (shared/routes.ts) names one, and
 * the origin knows a dialect only through `ClientDialect`:
 *
 * - `body(route)` reads the route's request body ONCE, right after auth and the body limit
 *   (origin/http/request-facts.ts): the one parser (shared/json-body.ts), then the dialect's
 *   schema, then the facts the rest of the request reads (model, stream, token cap). Allow-list,
 *   quota, admission, routing and the handler read those facts; none parses the body again.
 * - `handler` serves the route from the validated body (`validatedBody(c)`).
 *
 * A generation dialect (a chat/completion wire) only says how its wire maps to a Generation and
 * back (`GenerationDialect`); `generationDialect()` makes it a ClientDialect served by the one
 * generation pipeline (origin/dialects/generate.ts): routing, admission, the upstream's dialect,
 * the record, the stream's lifecycle.
 */
import type { Handler } from 'hono';
import type { PuertaError } from '../../../shared/errors.ts';
import type { RouteEntry } from '../../../shared/routes.ts';
import type { DialectDeps } from '../deps.ts';
import type { Framing } from '../../stream/framing.ts';
import type { OriginEnv } from '../../core/env.ts';
import type { BodyReader } from '../../core/facts.ts';

export type { BodyReader, RequestUrl } from '../../core/facts.ts';
import type { Generation, GenerationContext, GenerationEvent, GenerationResult } from '../../core/generation.ts';
import type { UpstreamDialect } from '../../upstream/dialects/dialect.ts';


export interface ClientDialect {
  /** How `route`'s body is read (one dialect may serve several routes); undefined for a route that reads none. */
  body(route: RouteEntry): BodyReader<unknown> | undefined;
  handler(deps: DialectDeps, route: RouteEntry): Handler<OriginEnv>;
}

/** A dialect whose routes read no body (the model lists). */
export const noBody = (): undefined => undefined;

/** Turns one answer's events into this dialect's stream frames (one writer per request). */
export interface StreamWriter {
  /** Frames due before any content (Anthropic's message_start, Responses' response.created). */
  start(): Uint8Array[];
  /** Frames for one event; undefined when it produces none. */
  write(ev: GenerationEvent): Uint8Array | Uint8Array[] | undefined;
  /**
   * The last frame of this stream when it fails after its first byte, where it must go on from
   * what the writer sent (Responses: the same response id, the next sequence numbers); the
   * dialect's framing writes it otherwise, and always for a dialect with a `passthroughWire`
   * (its stream may be the engine's own, which no writer of its wrote).
   */
  error?(err: PuertaError, requestId: string): Uint8Array;
}

export interface GenerationDialect<Req extends { model: string; stream?: boolean | undefined }> extends BodyReader<Req> {
  /** Headers, keepalive and error frame of this dialect's streams (per request, where its frames name the model). */
  framing: Framing | ((req: Req) => Framing);
  /**
   * The request as a Generation; a request the dialect cannot translate throws its 400. It runs
   * before routing (a refused request never holds a slot), or, with `translatesOnDemand`, only
   * when the routed engine is not of `passthroughWire`.
   */
  toGeneration(req: Req): Generation;
  /**
   * The body has fields only its own wire takes (Ollama's `template`, `raw`): refusing them up
   * front would refuse what an engine of that wire serves, so it is translated only for others.
   */
  translatesOnDemand?: true;
  /**
   * The client's own chat turns, where retrieved passages join the body itself so that it can
   * still be relayed as is (Ollama chat; the citations then travel in the header only, since the
   * answer may be the engine's own bytes). Without it, passages join the Generation and the
   * request is translated.
   */
  retrievalMessages?(req: Req): Array<{ role: string }> | undefined;
  response(result: GenerationResult, req: Req, ctx: GenerationContext): unknown;
  /** `gen` is the request as the engine gets it (retrieved passages included). */
  writer(req: Req, ctx: GenerationContext, gen: Generation): StreamWriter;
  /**
   * The wire this dialect is itself, when an engine speaking it may be relayed as is
   * (OpenAI chat to an OpenAI-compatible engine, Ollama chat to Ollama); untranslated, nothing
   * can be lost. The engine's upstream dialect then serves the request (`Passthrough`).
   */
  passthroughWire?: UpstreamDialect['wire'];
  /** Whether the client asked for the usage chunk of a relayed stream. */
  includeUsage?(req: Req): boolean;
}
