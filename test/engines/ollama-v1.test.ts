/**
 * Ollama's own OpenAI-compatible layer (/v1 on the real 0.17.4 build, tiny models) as a
 * `kind: openai` upstream: the second real OpenAI-compatible engine, with every client dialect
 * translated over it (test/engines/openai-engine.suite.ts).
 */
import { describeOllama, startOllama, tinyModels, warm } from '../helpers/ollama.ts';
import { openAiEngineSuite } from './openai-engine.suite.ts';

/**
 * Whether Ollama's only slot is taken: a one-token request straight to the engine either
 * answers at once or waits behind a running generation (Ollama reports no in-flight count).
 */
async function slotTaken(url: string, model: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/api/generate`, { method: 'POST', body: JSON.stringify({ model, prompt: 'hi', stream: false, options: { num_predict: 1 } }), signal: AbortSignal.timeout(2_000) });
    await r.text();
    return false;
  } catch {
    return true;
  }
}

describeOllama('Ollama /v1 as an OpenAI-compatible upstream', () => {
  openAiEngineSuite('Ollama /v1', async () => {
    const engine = await startOllama({ numParallel: 1 });
    await warm(engine.url);
    return {
      url: engine.url,
      models: { chat: tinyModels.chat, embed: tinyModels.embed },
      // Ollama cuts a chat prompt to its context but refuses an embedding input that overflows it.
      overflow: { chat: 'truncates', embed: 'rejects' },
      // Reasoning asked of a model whose template has none: Ollama's 400, in every dialect's words for it.
      refused: {
        openai: { reasoning_effort: 'high' },
        anthropic: { thinking: { type: 'enabled', budget_tokens: 1024 } },
        responses: { reasoning: { effort: 'high' } },
        native: { think: true },
      },
      generating: () => slotTaken(engine.url, tinyModels.chat),
      stop: () => engine.stop(),
    };
  });
});
