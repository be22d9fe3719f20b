/**
 * Generation events → Gemini's stream (`?alt=sse`): one `data:` chunk per engine chunk that
 * carries anything, each a whole GenerateContentResponse with the parts it adds, and a last
 * chunk with the finishReason and usageMetadata. Google's SDKs concatenate the parts.
 */
import type { GenerationEvent } from '../../../core/generation.ts';
import type { StreamWriter } from '../dialect.ts';
import { chunk, parts, response, type ResponseIds } from './wire.ts';

export function geminiWriter(ids: ResponseIds, includeThoughts: boolean): StreamWriter {
  return {
    start: () => [],
    write(ev: GenerationEvent) {
      if (ev.type === 'done') return chunk(response(ids, [], ev));
      const p = parts(ev.text, ev.thinking, ev.toolCalls, includeThoughts);
      return p.length ? chunk(response(ids, p)) : undefined;
    },
  };
}
