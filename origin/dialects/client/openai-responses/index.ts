/** OpenAI Responses (`POST /v1/responses`), stateless: the openai SDKs' responses API and Codex CLI. */
import { ERROR_SHAPES } from '../../../../shared/dialects/errors.ts';
import { KEEPALIVE_FRAME, SSE_HEADERS } from '../../../../shared/sse.ts';
import { queuedComment, type Framing } from '../../../stream/framing.ts';
import { chatLead, clientId, promptLead } from '../conversation.ts';
import type { GenerationDialect } from '../dialect.ts';
import { responsesRequestSchema, type ResponsesRequest } from './schema.ts';
import { responsesToGeneration } from './to-generation.ts';
import { responseIdFor } from '../../../../shared/dialects/responses.ts';
import { outputItems, responseObject } from './wire.ts';
import { responsesWriter } from './writer.ts';

const responsesFraming: Framing = {
  headers: SSE_HEADERS,
  keepalive: KEEPALIVE_FRAME,
  queued: queuedComment,
  error: ERROR_SHAPES.responses.streamError,
};

export const openaiResponses: GenerationDialect<ResponsesRequest> = {
  schema: responsesRequestSchema,
  framing: responsesFraming,
  stream: (req) => req.stream === true,
  maxTokens: (req) => req.max_output_tokens ?? undefined,
  conversation: (req) => clientId(req.prompt_cache_key, req.user) ?? (typeof req.input === 'string' ? promptLead(req.instructions, req.input) : chatLead(req.instructions, req.input)),
  toGeneration: responsesToGeneration,
  response: (r, req, ctx) =>
    responseObject(responseIdFor(ctx.requestId), Math.floor(Date.now() / 1000), req, { status: r.finish === 'length' ? 'incomplete' : 'completed', output: outputItems(r), usage: r.usage }),
  writer: (req, ctx) => responsesWriter(req, responseIdFor(ctx.requestId)),
};
