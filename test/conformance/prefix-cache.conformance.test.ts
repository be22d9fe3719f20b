/**
 * Prefix reuse, the real server (0.17.4, tiny model, CPU) against the simulator: a cold long
 * prompt, the same prompt again, then the next turn that extends it. The shape must agree:
 * prompt_eval_count is the whole prompt every time (a hit is not told by the count), the repeat's
 * prompt_eval_duration collapses, and the next turn costs about its new tokens only. Ratios, not
 * times: the real model runs on 2 CPU cores, the simulator models a GPU box.
 */
import { expect, it } from 'vitest';
import { describeOllama, tinyModels } from '../helpers/ollama.ts';
import { bothEngines, observe } from './compare.ts';
import { send } from './wire.ts';

const sentence = 'the quick brown fox jumps over the lazy dog while a careful reader checks every line of the report and ';
/** ~1,300 tokens: the size of the issue's own reading (1,348 tokens on tiny-chat). */
const longSystem = sentence.repeat(12);
const turn1 = [
  { role: 'system', content: longSystem },
  { role: 'user', content: 'summarise the report in one line' },
];
const turn2 = [
  ...turn1,
  { role: 'assistant', content: 'the fox jumped and the reader checked the report' },
  { role: 'user', content: 'and what did the dog do while all of that happened' },
];

interface Metrics {
  prompt_eval_count: number;
  prompt_eval_duration: number;
}

async function ask(url: string, messages: unknown[]): Promise<Metrics> {
  const res = await send(url, '/api/chat', { body: { model: tinyModels.chat, messages, stream: false, options: { seed: 1, num_predict: 4 } } });
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as Metrics;
}

describeOllama('conformance: prefix reuse (real Ollama vs simulator)', () => {
  const pair = bothEngines();

  it('cold, repeated, extended: the whole prompt counted each time, only the new work timed', async () => {
    const readings: Record<string, number[]> = {};
    const r = await observe(pair, async (t) => {
      // Load the model first, so the cold prompt pays for its tokens and not for the load.
      await ask(t.url, [{ role: 'user', content: 'hello' }]);
      const cold = await ask(t.url, turn1);
      const again = await ask(t.url, turn1);
      const next = await ask(t.url, turn2);
      readings[t.kind] = [cold.prompt_eval_count, cold.prompt_eval_duration / 1e6, again.prompt_eval_duration / 1e6, next.prompt_eval_duration / 1e6];
      return {
        countIsWholePrompt: again.prompt_eval_count === cold.prompt_eval_count && next.prompt_eval_count > cold.prompt_eval_count,
        // The real server computed 1 token of 1,348 again (1.2 ms of 1,090 ms in the issue).
        repeatCollapses: again.prompt_eval_duration < cold.prompt_eval_duration / 20,
        // The next turn computes its new tokens, not the prompt again: a few percent of the prompt in
        // the issue (52 ms of 1,090 ms), 0.15–0.25 of the cold prompt here on 2 shared CPU cores
        // (110–150 ms of 580–820 ms; the simulator 0.18). Half the cold prompt still tells reuse
        // from none (a miss costs the whole prompt again) without failing on a busy machine.
        nextCostsItsNewTokens: next.prompt_eval_duration < cold.prompt_eval_duration / 2 && next.prompt_eval_duration > again.prompt_eval_duration,
      };
    });
    // Shown when the shapes differ: [tokens, cold ms, repeated ms, next turn ms] per engine.
    expect({ ...r.sim, readings }).toEqual({ ...r.ollama, readings });
    expect(r.ollama).toEqual({ countIsWholePrompt: true, repeatCollapses: true, nextCostsItsNewTokens: true });
  });
});
