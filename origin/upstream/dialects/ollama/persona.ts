import type { BodyShape } from '../../../../shared/routes.ts';
import type { PersonaParams } from '../../../core/upstream.ts';
import { options, prependSystem } from '../persona-body.ts';

/**
 * A persona on an Ollama body: system prompt first, temperature and think as defaults (the
 * client's own values win), num_ctx always the persona's (it sizes the engine's memory). Pinned
 * models get keep_alive -1 on every request, because Ollama takes keep_alive from the latest
 * request and would otherwise unload them.
 */
export function applyOllamaPersona(body: Record<string, unknown>, shape: BodyShape, persona: PersonaParams | undefined, pinned: boolean): void {
  if (shape === 'none') return;
  if (persona) {
    if (shape === 'chat') {
      if (persona.system) prependSystem(body, persona.system);
      if (persona.reasoningEffort && body.think === undefined) body.think = persona.reasoningEffort;
    } else if (shape === 'prompt' && persona.system) {
      body.system = typeof body.system === 'string' && body.system ? `${persona.system}\n\n${body.system}` : persona.system;
    }
    const o = options(body);
    if (persona.temperature !== undefined && o.temperature === undefined && shape !== 'embed') o.temperature = persona.temperature;
    if (persona.numCtx) o.num_ctx = persona.numCtx;
  }
  if (pinned) body.keep_alive = -1;
}
