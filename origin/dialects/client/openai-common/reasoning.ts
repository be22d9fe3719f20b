import type { ReasoningEffort } from '../../../../shared/schemas/openai.ts';
import type { Reasoning } from '../../../core/generation.ts';

/** An OpenAI reasoning effort as the Generation's reasoning, the way Ollama's OpenAI layer maps it to `think`. */
export function reasoningFromEffort(effort: ReasoningEffort): Reasoning {
  switch (effort) {
    case 'none':
      return false;
    case 'minimal':
      return 'low';
    case 'xhigh':
      return 'high';
    default:
      return effort;
  }
}
