import type { PuertaError } from '../../shared/errors.ts';
import type { BodyShape } from '../../shared/routes.ts';

/** The wire an engine speaks (its upstream dialect); a client dialect on the same wire may relay it as is. */
export type UpstreamWire = 'ollama' | 'openai';

/** One request to an engine, as the upstream dialect (and a persona, if any) built it. */
export interface UpstreamCall {
  method: 'GET' | 'POST';
  path: string;
  body: string;
  /** What a persona may inject into the body (the route's, or what the upstream dialect built). */
  shape: BodyShape;
}

/** What reading an engine's answer needs of the upstream it came from. */
export interface UpstreamEnd {
  readonly name: string;
  /** The typed error for a body that broke off (reset, idle timeout, cut JSON). */
  bodyFailure(err: unknown): PuertaError;
}

/**
 * An admitted request whose engine has answered with its headers. Generic so this core names no
 * client or response class: the pipeline fills in the upstream client and its dispatched response.
 */
export interface OpenedUpstream<U extends UpstreamEnd = UpstreamEnd, R = unknown> {
  upstream: U;
  upstreamModel: string;
  res: R;
  /** Gives the admission slot back; call when the upstream response has ended. */
  release: () => void;
}

/**
 * What a persona (an alias: origin/routing/config.ts) sets in an engine's body; each upstream
 * dialect writes it in its own fields.
 */
export interface PersonaParams {
  system?: string | undefined;
  temperature?: number | undefined;
  reasoningEffort?: 'low' | 'medium' | 'high' | undefined;
  numCtx?: number | undefined;
}

/** A whole answer: a document to send as JSON, or an engine's own bytes relayed unchanged. */
export type WholeAnswer = { kind: 'json'; value: unknown } | { kind: 'bytes'; bytes: Uint8Array<ArrayBuffer>; status: number; contentType: string };
