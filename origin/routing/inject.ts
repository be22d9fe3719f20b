import type { Persona } from './config.ts';

type Body = Record<string, unknown>;

function options(body: Body): Body {
  const o = body.options;
  if (o && typeof o === 'object' && !Array.isArray(o)) return o as Body;
  const fresh: Body = {};
  body.options = fresh;
  return fresh;
}

function prependSystem(body: Body, system: string): void {
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
  body.messages = [{ role: 'system', content: system }, ...messages];
}

const OLLAMA_MODEL_PATHS = new Set(['/api/chat', '/api/generate', '/api/embed', '/api/embeddings']);

/**
 * Applies a persona and the pinned keep_alive to an upstream request body. System prompts go
 * first; temperature and reasoning effort are defaults (the client's own values win); num_ctx is
 * always the persona's (it sizes the engine's memory). Pinned models get keep_alive -1 on every
 * request, because Ollama takes keep_alive from the latest request and would otherwise unload them.
 */
export function injectIntoBody(raw: string, path: string, kind: 'ollama' | 'openai', persona: Persona | undefined, pinned: boolean): string {
  let body: Body;
  try {
    body = JSON.parse(raw) as Body;
  } catch {
    return raw;
  }
  if (persona) {
    if (kind === 'ollama') {
      if (path === '/api/chat') {
        if (persona.system) prependSystem(body, persona.system);
        if (persona.reasoningEffort && body.think === undefined) body.think = persona.reasoningEffort;
      } else if (path === '/api/generate' && persona.system) {
        body.system = typeof body.system === 'string' && body.system ? `${persona.system}\n\n${body.system}` : persona.system;
      }
      if (OLLAMA_MODEL_PATHS.has(path)) {
        const o = options(body);
        if (persona.temperature !== undefined && o.temperature === undefined && path !== '/api/embed' && path !== '/api/embeddings') o.temperature = persona.temperature;
        if (persona.numCtx) o.num_ctx = persona.numCtx;
      }
    } else if (path === '/v1/chat/completions') {
      if (persona.system) prependSystem(body, persona.system);
      if (persona.temperature !== undefined && body.temperature == null) body.temperature = persona.temperature;
      if (persona.reasoningEffort && body.reasoning_effort == null) body.reasoning_effort = persona.reasoningEffort;
    } else if (path === '/v1/completions') {
      if (persona.temperature !== undefined && body.temperature == null) body.temperature = persona.temperature;
    }
  }
  if (pinned && kind === 'ollama' && OLLAMA_MODEL_PATHS.has(path)) body.keep_alive = -1;
  return JSON.stringify(body);
}
