/**
 * llama.cpp's server (PyPI llama-cpp-python[server], llama.cpp compiled from source by
 * scripts/ensure-llama-cpp.sh) on the tiny GGUF models, as a `kind: openai` upstream: every
 * client dialect over it (test/engines/openai-engine.suite.ts).
 */
import { describeLlamaCpp, llamaModels, startLlamaCpp } from '../helpers/llama-cpp.ts';
import { openAiEngineSuite } from './openai-engine.suite.ts';

/** Past the 2048-token context the tiny models are served with. */
const tooLong = 'palabra '.repeat(3000);

describeLlamaCpp('llama.cpp server as an OpenAI-compatible upstream', () => {
  openAiEngineSuite('llama.cpp', async () => {
    const engine = await startLlamaCpp();
    return {
      url: engine.url,
      models: llamaModels,
      // It refuses a chat prompt longer than its context (its only 400: a body it cannot
      // validate is its 500) and cuts an embedding input to fit.
      overflow: { chat: 'rejects', embed: 'truncates' },
      refused: {
        openai: { messages: [{ role: 'user', content: tooLong }] },
        anthropic: { messages: [{ role: 'user', content: tooLong }] },
        responses: { input: tooLong },
        // Streamed, it has answered 200 before it finds the prompt too long (then the stream breaks).
        native: { stream: false, messages: [{ role: 'user', content: tooLong }] },
      },
      answersAnyModel: true,
      streamUsage: false,
      upstream: { responseFormat: 'json_object' },
      // The server reports no in-flight count; a generating llama.cpp spins a core, an idle one
      // does not. CPU time over a short window is asked of the engine's own process.
      // The window and threshold leave room for a loaded CI machine, where the one generating
      // thread may get a fraction of a core: idle, the server uses next to none.
      async generating() {
        const before = engine.cpuSeconds();
        await new Promise((r) => setTimeout(r, 1_000));
        return engine.cpuSeconds() - before > 0.05;
      },
      stop: () => engine.stop(),
    };
  });
});
