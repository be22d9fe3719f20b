/** Anthropic Messages (`POST /v1/messages`): the Anthropic SDKs and Claude Code. */
import { ERROR_SHAPES } from '../../../../shared/dialects/errors.ts';
import { encodeEvent, SSE_HEADERS } from '../../../../shared/sse.ts';
import type { Framing } from '../../../stream/framing.ts';
import { estimatePromptTokens } from '../../prompt-estimate.ts';
import { chatLead, clientId } from '../conversation.ts';
import type { GenerationDialect } from '../dialect.ts';
import { messagesRequestSchema, type MessagesRequest } from './schema.ts';
import { messagesToGeneration } from './to-generation.ts';
import { messageId, messageObject } from './wire.ts';
import { anthropicWriter } from './writer.ts';

/** Anthropic's own keepalive is an event (`ping`), not an SSE comment. */
export const anthropicFraming: Framing = {
  headers: SSE_HEADERS,
  keepalive: new TextEncoder().encode('event: ping\ndata: {"type":"ping"}\n\n'),
  // The SDKs skip ping events whole, so a field of ours in its data is safe.
  queued: (s) => encodeEvent('ping', JSON.stringify({ type: 'ping', queue: { position: s.position, estimated_wait_ms: s.estimatedWaitMs } })),
  error: ERROR_SHAPES.anthropic.streamError,
};

export const anthropicMessages: GenerationDialect<MessagesRequest> = {
  schema: messagesRequestSchema,
  framing: anthropicFraming,
  stream: (req) => req.stream === true,
  maxTokens: (req) => req.max_tokens,
  // Claude Code names its session in metadata.user_id.
  conversation: (req) => clientId(undefined, req.metadata?.user_id) ?? chatLead(req.system, req.messages),
  toGeneration: messagesToGeneration,
  response: (r, req) => messageObject(messageId(), req.model, r),
  writer: (req, _ctx, gen) => anthropicWriter(messageId(), req.model, estimatePromptTokens(gen)),
};
