import type { FinishReason, ToolCall, Usage } from '../../generation.ts';

export function openAiUsage(u: Usage): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens };
}

export function openAiToolCalls(calls: ToolCall[], startIndex: number) {
  return calls.map((tc, i) => ({
    index: startIndex + i,
    id: tc.id,
    type: 'function' as const,
    function: { name: tc.name, arguments: JSON.stringify(tc.arguments) },
  }));
}

/**
 * Builds the JSON of streamed chunks. Everything constant within one stream (id, created, model)
 * is serialised once into a prefix, so each token costs one small JSON.stringify of its delta.
 */
export class ChunkWriter {
  private readonly prefix: string;
  private readonly usagePrefix: string;

  constructor(id: string, object: 'chat.completion.chunk' | 'text_completion', created: number, model: string) {
    const head = `{"id":${JSON.stringify(id)},"object":"${object}","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_puerta"`;
    this.prefix = head + ',"choices":[{"index":0,';
    this.usagePrefix = head + ',"choices":[],"usage":';
  }

  /** chat: `"delta":{…}`; completions: `"text":"…"`. */
  chat(delta: Record<string, unknown>, finish: FinishReason | null = null): string {
    return this.prefix + '"delta":' + JSON.stringify(delta) + ',"logprobs":null,"finish_reason":' + (finish ? `"${finish}"` : 'null') + '}]}';
  }

  text(text: string, finish: FinishReason | null = null): string {
    return this.prefix + '"text":' + JSON.stringify(text) + ',"logprobs":null,"finish_reason":' + (finish ? `"${finish}"` : 'null') + '}]}';
  }

  usage(u: object): string {
    return this.usagePrefix + JSON.stringify(u) + '}';
  }
}

export function newId(prefix: 'chatcmpl' | 'cmpl'): string {
  return `${prefix}-${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}`;
}
