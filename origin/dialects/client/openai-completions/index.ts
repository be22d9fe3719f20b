/** Legacy text completions (`POST /v1/completions`). */
import { completionRequestSchema, type CompletionRequest } from '../../../../shared/schemas/openai.ts';
import { DONE_FRAME, encodeData } from '../../../../shared/sse.ts';
import { sseFraming } from '../../../stream/framing.ts';
import { clientId, promptLead } from '../conversation.ts';
import type { GenerationDialect } from '../dialect.ts';
import { ChunkWriter, newId, openAiUsage } from '../openai-common/chunks.ts';
import { openAiSampling } from '../openai-common/sampling.ts';

export const openaiCompletions: GenerationDialect<CompletionRequest> = {
  schema: completionRequestSchema,
  framing: sseFraming,
  passthroughWire: 'openai',
  includeUsage: (req) => req.stream_options?.include_usage === true,
  stream: (req) => req.stream === true,
  maxTokens: (req) => req.max_tokens ?? undefined,
  conversation: (req) => clientId(req.prompt_cache_key, req.user) ?? promptLead(undefined, req.prompt),
  toGeneration: (req) => ({
    model: req.model,
    stream: req.stream,
    input: { kind: 'prompt', prompt: typeof req.prompt === 'string' ? req.prompt : req.prompt[0]!, ...(req.suffix ? { suffix: req.suffix } : {}) },
    sampling: openAiSampling(req, req.max_tokens),
  }),
  response: (r, req) => ({
    id: newId('cmpl'),
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model: req.model,
    system_fingerprint: 'fp_puerta',
    // Completions have no tools: a prompt's finish is its length or a stop.
    choices: [{ index: 0, text: r.text, logprobs: null, finish_reason: r.finish === 'length' ? 'length' : 'stop' }],
    usage: openAiUsage(r.usage),
  }),
  writer(req) {
    const writer = new ChunkWriter(newId('cmpl'), 'text_completion', Math.floor(Date.now() / 1000), req.model);
    const includeUsage = req.stream_options?.include_usage === true;
    return {
      start: () => [],
      write(ev) {
        if (ev.type === 'delta') return ev.text ? encodeData(writer.text(ev.text)) : undefined;
        const out = [encodeData(writer.text('', ev.finish === 'length' ? 'length' : 'stop'))];
        if (includeUsage) out.push(encodeData(writer.usage(openAiUsage(ev.usage))));
        out.push(DONE_FRAME);
        return out;
      },
    };
  },
};
