/**
 * What a client dialect (the wire a client speaks: OpenAI chat, Anthropic Messages…) does for a
 * generation route. The route's pipeline (origin/dialects/generate.ts) does everything else:
 * routing, admission, the upstream's dialect, the record, the stream's lifecycle.
 */
import type { z } from 'zod';
import type { PuertaError } from '../../../shared/errors.ts';
import type { Framing } from '../../stream/framing.ts';
import type { Generation, GenerationContext, GenerationEvent, GenerationResult } from '../../core/generation.ts';
import type { UpstreamDialect } from '../../upstream/dialects/dialect.ts';

/** Turns one answer's events into this dialect's stream frames (one writer per request). */
export interface StreamWriter {
  /** Frames due before any content (Anthropic's message_start, Responses' response.created). */
  start(): Uint8Array[];
  /** Frames for one event; undefined when it produces none. */
  write(ev: GenerationEvent): Uint8Array | Uint8Array[] | undefined;
  /**
   * The last frame of this stream when it fails after its first byte, where it must go on from
   * what the writer sent (Responses: the same response id, the next sequence numbers); the
   * dialect's framing writes it otherwise.
   */
  error?(err: PuertaError, requestId: string): Uint8Array;
}

export interface GenerationDialect<Req extends { model: string; stream?: boolean | undefined }> {
  schema: z.ZodType<Req>;
  /** Headers, keepalive and error frame of this dialect's streams. */
  framing: Framing;
  toGeneration(req: Req): Generation;
  response(result: GenerationResult, req: Req, ctx: GenerationContext): unknown;
  /** `gen` is the request as the engine gets it (retrieved passages included). */
  writer(req: Req, ctx: GenerationContext, gen: Generation): StreamWriter;
  /**
   * The wire this dialect is itself, when an engine speaking it may be relayed as is
   * (OpenAI chat to an OpenAI-compatible engine); untranslated, nothing can be lost.
   */
  passthroughWire?: UpstreamDialect['wire'];
  /** Whether the client asked for the usage chunk of a relayed stream. */
  includeUsage?(req: Req): boolean;
}
