import type { ChatCompletionRequest } from '../../../../shared/schemas/openai.ts';
import type { Sampling } from '../../../core/generation.ts';

type Common = Pick<ChatCompletionRequest, 'temperature' | 'top_p' | 'stop' | 'seed' | 'frequency_penalty' | 'presence_penalty'>;

/** OpenAI's sampling fields (chat and completions name them alike). */
export function openAiSampling(req: Common, maxTokens: number | null | undefined): Sampling {
  const s: Sampling = {};
  if (req.temperature != null) s.temperature = req.temperature;
  if (req.top_p != null) s.topP = req.top_p;
  if (maxTokens != null) s.maxTokens = maxTokens;
  if (req.stop != null) s.stop = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (req.seed != null) s.seed = req.seed;
  if (req.frequency_penalty != null) s.frequencyPenalty = req.frequency_penalty;
  if (req.presence_penalty != null) s.presencePenalty = req.presence_penalty;
  return s;
}
