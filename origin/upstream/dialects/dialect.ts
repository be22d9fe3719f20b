/**
 * What an upstream dialect (the engine's wire: Ollama native, OpenAI-compatible) does for the
 * origin. Everything that depends on which kind of engine serves a request is behind this
 * interface; nothing outside origin/upstream/dialects/ asks for an upstream's kind.
 */
import type { UpstreamConfig } from '../../config/schema.ts';
import type { OpenedUpstream as OpenedEnd, PersonaParams, UpstreamCall, UpstreamEnd, UpstreamWire } from '../../core/upstream.ts';
import type { DispatchedResponse } from '../dispatch-body.ts';
import type { BodyShape } from '../../../shared/routes.ts';
import type { RequestRecord } from '../../core/record.ts';
import type { PuertaError } from '../../../shared/errors.ts';
import type { ChunkRelay, Emit } from '../../stream/stream-response.ts';
import type { Generation, GenerationContext, GenerationEvent, GenerationResult } from '../../core/generation.ts';
import type { WholeAnswer } from '../../core/upstream.ts';

export type { WholeAnswer };

/** The upstream a call goes to: its engine's name for the model and its configuration. */
export interface UpstreamTarget {
  upstreamModel: string;
  cfg: UpstreamConfig;
}

export interface ListedModel {
  id: string;
  /** The engine's own entry (Ollama /api/tags: size, digest, details…). */
  raw?: Record<string, unknown>;
}

export interface EmbeddingInput {
  input: string | string[];
  dimensions?: number | undefined;
  /** The client's whole body, for an engine that takes it as is. */
  raw: Record<string, unknown>;
}


/**
 * A client body relayed to the engine nearly as is, and the answer back, because client and
 * engine speak the same wire: nothing is lost in translation and nothing is re-encoded. The body
 * relayed is the canonical serialisation of what the client dialect validated (never the text
 * the client sent), so no second spelling of a key can reach the engine.
 */
export interface Passthrough {
  /** `shape` is the route's (what a persona may change; `none`: metadata, no per-upstream defaults). */
  body(raw: Record<string, unknown>, upstreamModel: string, stream: boolean, cfg: UpstreamConfig, shape: BodyShape): string;
  /** The engine's stream to the client, read by read; the engine's token counts land in the record. */
  relay(opened: OpenedUpstream, emit: Emit, o: { includeUsage: boolean; rec: RequestRecord }): ChunkRelay;
  /** The engine's whole answer, with the client's model name. */
  whole(opened: OpenedUpstream, publicModel: string, rec: RequestRecord): Promise<WholeAnswer>;
}

/** Receives a stream's events; called synchronously, and the event may be reused after it returns. */
/** An opened upstream as an upstream dialect reads it: the engine's name and failures, and its dispatched response. */
export type OpenedUpstream = OpenedEnd<UpstreamEnd, DispatchedResponse>;

export type OnEvent = (ev: GenerationEvent) => void;

/**
 * An engine's streamed answer, decoded synchronously one read of its body at a time. Every way
 * the stream breaks is thrown as a typed, client-facing PuertaError.
 */
export interface EventDecoder {
  /** Gives the read's events to `on`; true once the answer's `done` was given (it is whole). */
  chunk(bytes: Uint8Array, on: OnEvent): boolean;
  /** The body ended before `done`: the events still due, or the error (truncated). */
  end(on: OnEvent): void;
  /** The body failed mid-way (reset, idle timeout): the error to end the stream with. */
  fail(err: unknown): PuertaError;
}

export interface UpstreamDialect {
  /** The wire this engine speaks; a client dialect on the same wire may relay it as is. */
  readonly wire: UpstreamWire;
  /** A cheap GET that answers when the engine is up (health checks). */
  readonly probePath: string;
  /** The name the engine resolves `name` to (Ollama: `x` is `x:latest`). */
  canonicalModel(name: string): string;
  /** The engine's model list, for discovery. */
  listModelsCall: { path: string; read(doc: unknown): ListedModel[] };
  /** A Generation as this engine's request. */
  generate(gen: Generation, target: UpstreamTarget): UpstreamCall;
  /** The engine's streamed answer as events, decoded read by read (one decoder per stream). */
  decoder(opened: OpenedUpstream, ctx: GenerationContext): EventDecoder;
  /** The engine's whole answer. */
  result(opened: OpenedUpstream, ctx: GenerationContext): Promise<GenerationResult>;
  embed(req: EmbeddingInput, target: UpstreamTarget): UpstreamCall;
  embeddings(opened: OpenedUpstream): Promise<{ vectors: number[][]; promptTokens: number }>;
  /** A routing alias's system prompt and defaults, and a pinned model's keep_alive, into a body. */
  applyPersona(body: Record<string, unknown>, shape: BodyShape, persona: PersonaParams | undefined, pinned: boolean): void;
  /** Where the engine reports its version and loaded models (restart and eviction watch), if it does. */
  readonly watch?: { versionPath: string; loadedPath: string };
  /** Relaying a client body of this same wire as is, where the engine offers it. */
  readonly passthrough?: Passthrough;
  /** Whether a pinned model can be loaded ahead of traffic on this engine. */
  readonly warms: boolean;
}
