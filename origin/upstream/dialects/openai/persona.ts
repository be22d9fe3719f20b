import type { BodyShape } from '../../../../shared/routes.ts';
import type { PersonaParams } from '../../../core/upstream.ts';
import { prependSystem } from '../persona-body.ts';

/**
 * A persona on an OpenAI body: system prompt first on chat, temperature and reasoning effort as
 * defaults (the client's own values win). The engine manages its own memory and model lifetime,
 * so num_ctx and pinning have nothing to set here.
 */
export function applyOpenAiPersona(body: Record<string, unknown>, shape: BodyShape, persona: PersonaParams | undefined): void {
  if (!persona || (shape !== 'chat' && shape !== 'prompt')) return;
  if (shape === 'chat' && persona.system) prependSystem(body, persona.system);
  if (persona.temperature !== undefined && body.temperature == null) body.temperature = persona.temperature;
  if (shape === 'chat' && persona.reasoningEffort && body.reasoning_effort == null) body.reasoning_effort = persona.reasoningEffort;
}
