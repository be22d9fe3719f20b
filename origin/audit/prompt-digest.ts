import { hash } from 'node:crypto';

/** The parts of a request body that are the prompt, by route family (chat, completion, embedding). */
export function promptOf(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (b.messages !== undefined) return { messages: b.messages, ...(b.tools !== undefined ? { tools: b.tools } : {}) };
  if (b.prompt !== undefined) return { prompt: b.prompt, ...(b.system !== undefined ? { system: b.system } : {}), ...(b.suffix !== undefined ? { suffix: b.suffix } : {}) };
  if (b.input !== undefined) return { input: b.input };
  return undefined;
}

/**
 * `sha256:<hex>` of the prompt as JSON (messages / prompt / input as the client sent them, so the
 * tenant can recompute it from its own request log); undefined when the body has no prompt.
 */
export function promptDigest(body: unknown): string | undefined {
  const p = promptOf(body);
  if (p === undefined) return undefined;
  return 'sha256:' + hash('sha256', JSON.stringify(p), 'hex');
}
