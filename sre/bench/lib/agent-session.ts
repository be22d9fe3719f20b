/**
 * Conversations shaped like a coding agent's (Claude Code, Codex, OpenCode): a long system prompt
 * whose first part every session shares (the agent's own instructions) and whose second part is
 * the session's (working directory, project notes, git status), a large tool list, and turns that
 * each append the model's last answer and a tool result of a few hundred tokens. Every turn sends
 * the whole conversation again, as those agents do. Deterministic for a seed.
 */
import { mulberry32 } from '../prompts.ts';

export interface AgentShape {
  /** Words of the system prompt every session shares (the agent's instructions). */
  sharedWords: number;
  /** Words of the system prompt that are the session's own (project context). */
  sessionWords: number;
  /** Tool declarations: how many, and words of description each. */
  tools: number;
  toolWords: number;
  /** Words of the tool result each turn appends. */
  turnWords: number;
  /** Tokens of each answer (a [[sim:tokens=N]] directive for the simulator). */
  answerTokens: number;
}

/** ~20,000 prompt tokens on the first turn, ~400 more each turn (the answer and a tool result). */
export const claudeCodeShape: AgentShape = { sharedWords: 2_500, sessionWords: 2_000, tools: 24, toolWords: 560, turnWords: 250, answerTokens: 150 };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const vocabulary = (
  'file read write edit search grep glob bash run test build lint commit branch diff patch review ' +
  'function class module import export type interface error result value config option path ' +
  'directory project source repository change update create delete check verify format output'
).split(' ');

function words(rnd: () => number, n: number, tag: string): string {
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = rnd() < 0.2 ? `${tag}${Math.floor(rnd() * 1000)}` : (vocabulary[Math.floor(rnd() * vocabulary.length)] as string);
  return out.join(' ');
}

/** The tool list every session sends (the same agent build), in OpenAI's function form. */
export function agentTools(shape: AgentShape): unknown[] {
  const rnd = mulberry32(7);
  return Array.from({ length: shape.tools }, (_, i) => ({
    type: 'function',
    function: {
      name: `tool_${i}`,
      description: words(rnd, shape.toolWords, 't'),
      parameters: { type: 'object', properties: { path: { type: 'string' }, text: { type: 'string' } }, required: ['path'] },
    },
  }));
}

/** One session's conversation so far; `next()` gives the messages of its next turn. */
export class AgentSession {
  readonly messages: ChatMessage[];
  private readonly rnd: () => number;
  private turn = 0;

  constructor(readonly id: number, private readonly shape: AgentShape, shared: string) {
    this.rnd = mulberry32(1000 + id);
    this.messages = [{ role: 'system', content: `${shared}\n\n# Environment (session ${id})\n${words(this.rnd, shape.sessionWords, `s${id}x`)}` }];
  }

  /** The messages for the next turn: a user message (the task, then tool results). */
  next(): ChatMessage[] {
    const body = this.turn === 0 ? `task for session ${this.id}: ${words(this.rnd, 60, 'q')}` : `tool result ${this.turn}: ${words(this.rnd, this.shape.turnWords, `r${this.id}x`)}`;
    this.turn++;
    this.messages.push({ role: 'user', content: `${body} [[sim:tokens=${this.shape.answerTokens}]]` });
    return this.messages;
  }

  /** The model's answer joins the conversation, as the agent sends it back next turn. */
  answered(text: string): void {
    this.messages.push({ role: 'assistant', content: text });
  }
}

/** The shared part of the system prompt, the same for every session. */
export function sharedInstructions(shape: AgentShape): string {
  return `You are a coding agent. ${words(mulberry32(3), shape.sharedWords, 'i')}`;
}
