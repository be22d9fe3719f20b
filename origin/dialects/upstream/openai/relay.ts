import { DONE_FRAME, encodeData } from '../../../../shared/sse.ts';
import type { OpenedUpstream } from '../../../pipeline/open-upstream.ts';
import { chargeUsage, type RequestRecord } from '../../../pipeline/record.ts';
import type { Emit } from '../../../stream/stream-response.ts';
import { openaiSseChunks } from './sse-chunks.ts';

/**
 * An OpenAI-compatible engine's SSE → an OpenAI client, event by event. The upstream is always
 * asked for usage (tokens are accounted from the engine's own counts); the usage chunk is
 * dropped again when the client did not ask for it.
 */
export async function relayOpenAi(opened: OpenedUpstream, emit: Emit, signal: AbortSignal, { includeUsage, rec }: { includeUsage: boolean; rec: RequestRecord }): Promise<void> {
  for await (const { data, chunk } of openaiSseChunks(opened, signal)) {
    if (chunk.usage) {
      chargeUsage(rec, { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0 });
      if (!includeUsage && Array.isArray(chunk.choices) && chunk.choices.length === 0) continue;
    }
    const p = emit(encodeData(data));
    if (p) await p;
  }
  await emit(DONE_FRAME);
}

/** The engine's whole answer under the client's model name; its usage is what is charged. */
export async function wholeOpenAi(opened: OpenedUpstream, publicModel: string, rec: RequestRecord): Promise<unknown> {
  const out = (await opened.res.body.json()) as { usage?: { prompt_tokens?: number; completion_tokens?: number } };
  if (out.usage) chargeUsage(rec, { promptTokens: out.usage.prompt_tokens ?? 0, completionTokens: out.usage.completion_tokens ?? 0 });
  return { ...out, model: publicModel };
}
