/** The parts of Ollama's native wire format the origin reads (api/types.go). */
export interface OllamaToolCall {
  /** Ollama's own id for the call (recent versions); absent from older ones. */
  id?: string;
  function: { name: string; arguments: Record<string, unknown>; index?: number };
}

export interface OllamaMessage {
  role: string;
  content: string;
  thinking?: string;
  images?: string[];
  tool_calls?: OllamaToolCall[];
  tool_name?: string;
  /** On a tool result: the call it answers (Ollama's Message.ToolCallID). */
  tool_call_id?: string;
}

export interface OllamaFinal {
  done: boolean;
  done_reason?: 'stop' | 'length' | 'load' | 'unload' | string;
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

/** api.Logprob: the token, its log probability, its bytes, and the alternatives when asked for. */
export interface OllamaLogprob {
  token: string;
  logprob: number;
  bytes?: number[];
  top_logprobs?: Array<{ token: string; logprob: number; bytes?: number[] }>;
}

export interface OllamaChatChunk extends Partial<OllamaFinal> {
  model: string;
  created_at: string;
  message?: OllamaMessage;
  response?: string;
  thinking?: string;
  done: boolean;
  error?: string;
  logprobs?: OllamaLogprob[];
}

export interface OllamaEmbedResponse {
  model: string;
  embeddings: number[][];
  prompt_eval_count?: number;
}
