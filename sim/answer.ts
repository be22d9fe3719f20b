import type { Directives } from './directives.ts';
import { goJson } from './json.ts';
import { jsonTokens, valueForSchema } from './schema-values.ts';
import { fnv1a, mulberry32 } from './text.ts';
import type { ModelConfig } from './types.ts';

/**
 * What a request asks the model to produce besides prose: tool calls (when it offers tools and a
 * directive names them) or structured output (`format`). Built once per request; the generation
 * loop then spends one decode tick per token of it.
 */

/** One tool call as Ollama reports it (`api.ToolCall`), arguments already Go-encoded. */
export interface SimToolCall {
  id: string;
  /** `function.index`: 0 for every harmony call; the call's position for the template parser. */
  index: number;
  name: string;
  /** Compact JSON object, Go escaping. */
  argsJson: string;
  /** The tokens the model spends writing it (logprob text for each). */
  tokens: string[];
}

/** The request fields that shape the answer, in the simulator's terms. */
export interface AnswerRequest {
  tools: readonly unknown[] | null | undefined;
  /** Ollama's `format`: "json" or a JSON schema. */
  format: unknown;
  /** Whether the conversation ends with the user's turn (a tool result gets a prose answer). */
  userTurn: boolean;
}

interface ToolDecl {
  name: string;
  parameters: unknown;
}

function toolDecls(tools: readonly unknown[] | null | undefined): ToolDecl[] {
  const out: ToolDecl[] = [];
  for (const t of tools ?? []) {
    const fn = (t as { function?: { name?: unknown; parameters?: unknown } } | null)?.function;
    if (fn && typeof fn.name === 'string') out.push({ name: fn.name, parameters: fn.parameters });
  }
  return out;
}

const idChars = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Ollama's toolCallId(): "call_" + 8 of [a-z0-9]. */
function callId(rnd: () => number): string {
  let s = 'call_';
  for (let i = 0; i < 8; i++) s += idChars[Math.floor(rnd() * idChars.length)];
  return s;
}

/**
 * The calls a directive asks for, among the tools offered. The harmony parser (gpt-oss) yields at
 * most one call per turn, as the model stops at its first `<|call|>`.
 */
export function plannedCalls(cfg: ModelConfig, d: Directives, req: AnswerRequest, seed: number, requestNo: number): SimToolCall[] {
  if (!d.call || !req.userTurn) return [];
  const decls = toolDecls(req.tools);
  const picked: ToolDecl[] = [];
  for (const name of d.call) {
    if (name === '*') picked.push(...decls);
    else {
      const decl = decls.find((t) => t.name === name);
      if (decl) picked.push(decl);
    }
  }
  const harmony = cfg.toolCallParser === 'harmony';
  // Ids differ per request (Ollama draws them at random); arguments follow the prompt's seed.
  const rnd = mulberry32(fnv1a(String(requestNo), seed));
  return (harmony ? picked.slice(0, 1) : picked).map((t, i) => {
    const args = d.args ?? valueForSchema(t.parameters, seed ^ fnv1a(t.name));
    const argsJson = goJson(args ?? {});
    return { id: callId(rnd), index: harmony ? 0 : i, name: t.name, argsJson, tokens: [t.name, ...jsonTokens(argsJson)] };
  });
}

/** Structured output: the JSON text a `format` constrains the answer to, as tokens. */
export function structuredTokens(format: unknown, seed: number): string[] | undefined {
  if (format === undefined || format === null || format === '') return undefined;
  const schema = format === 'json' ? { type: 'object', properties: { answer: { type: 'string' } } } : format;
  return jsonTokens(goJson(valueForSchema(schema, seed)));
}
