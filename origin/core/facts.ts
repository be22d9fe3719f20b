import type { RequestedModel } from '../../shared/model-allow-list.ts';
import type { z } from 'zod';
import type { PuertaError } from '../../shared/errors.ts';
import type { RouteEntry } from '../../shared/routes.ts';

/** A body checked against its dialect's schema: the value, or the 400 that names what was wrong. */
export type Validated<T> = { ok: true; value: T } | { ok: false; error: PuertaError };

/**
 * What a route-table request's body says, read once by its client dialect: everything after this
 * (allow-list, quota, admission, routing, the handler and the upstream's dialect) reads these
 * facts and never the raw body.
 */
export interface RequestFacts {
  /** The body's size, for the quota's prompt estimate and the record. */
  bytes: number;
  /**
   * The model the body names, read from the parsed body before the dialect's schema, as the edge
   * reads it (shared/model-allow-list.ts): the allow-list judges exactly what is served.
   */
  named: RequestedModel;
  /** The body as the dialect validated it, or the 400 the handler answers with. */
  body: Validated<unknown>;
  stream: boolean;
  /** The client's own cap on generated tokens (its dialect's field), when it set one. */
  maxTokens: number | undefined;
}

/** The parts of a request's URL a body reader may read (Hono's request has them). */
export interface RequestUrl {
  path: string;
  query(name: string): string | undefined;
}

/**
 * What names a request's conversation in its dialect's own fields, so that its turns can stay on
 * the engine holding its cache (origin/routing/session-key.ts digests it): an id the client gave
 * the conversation, or the text every later turn repeats (the system prompt and the first message).
 */
export type Conversation = { by: 'cache_key' | 'user'; id: string } | { by: 'lead'; parts: readonly string[] };

/** How a dialect's request body becomes the request's facts, once. */
export interface BodyReader<Req> {
  schema: z.ZodType<Req>;
  /**
   * What the URL says that the wire keeps out of the body (the model in the path, whether and
   * how it streams, where a route's wire says so there), laid over the body before `schema` validates it: the URL wins.
   */
  fromUrl?(url: RequestUrl, route: RouteEntry): object;
  /** Whether the client asked for a streamed answer. */
  stream(req: Req): boolean;
  /** The client's own cap on generated tokens, in its dialect's field; undefined when it set none. */
  maxTokens(req: Req): number | undefined;
  /** What names the conversation a generation belongs to; undefined when nothing does (no affinity). */
  conversation?(req: Req): Conversation | undefined;
}
