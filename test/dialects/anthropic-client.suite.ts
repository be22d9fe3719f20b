/**
 * The official @anthropic-ai/sdk against a Puerta base URL (the origin, or an edge in front of
 * it), in front of the simulator: messages.create, messages.stream with text, thinking and
 * tool_use, a tool_result round trip, count_tokens, and errors in Anthropic's shape.
 */
import Anthropic from '@anthropic-ai/sdk';
import { expect, it } from 'vitest';

export interface AnthropicTarget {
  /** Base URL without /v1. */
  baseURL: string;
  apiKey: string;
  model: string;
  /** How to reach the base URL (an edge test places the client in a country). */
  fetch?: typeof fetch;
}

const weather = {
  name: 'get_weather',
  description: 'Current weather of a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

export function anthropicClientSuite(target: () => AnthropicTarget): void {
  const client = () => new Anthropic({ baseURL: target().baseURL, apiKey: target().apiKey, maxRetries: 0, ...(target().fetch ? { fetch: target().fetch } : {}) });
  const raw = (url: string, init: RequestInit) => (target().fetch ?? fetch)(url, init);

  it('messages.create answers with an Anthropic message and usage', async () => {
    const msg = await client().messages.create({
      model: target().model,
      max_tokens: 64,
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [{ role: 'user', content: 'Say hello [[sim:tokens=6]]' }],
    });
    expect(msg.type).toBe('message');
    expect(msg.role).toBe('assistant');
    expect(msg.model).toBe(target().model);
    expect(msg.stop_reason).toBe('end_turn');
    const text = msg.content.filter((b) => b.type === 'text').map((b) => (b as Anthropic.TextBlock).text).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(msg.usage.output_tokens).toBe(6);
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
  });

  it('messages.stream streams thinking then text, each block closed, with usage', async () => {
    const stream = client().messages.stream({
      model: target().model,
      max_tokens: 1024,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'Why is the sky blue? [[sim:tokens=40]]' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect((final.content[0] as Anthropic.ThinkingBlock).thinking.length).toBeGreaterThan(0);
    expect((final.content[1] as Anthropic.TextBlock).text.length).toBeGreaterThan(0);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types.filter((t) => t === 'content_block_start').length).toBe(2);
    expect(types.filter((t) => t === 'content_block_stop').length).toBe(2);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
  });

  it('messages.stream: message_start tells the prompt size up front (an estimate), message_delta the engine count', async () => {
    const prompt = 'Summarise the following notes for a new colleague, keeping every number. '.repeat(12) + '[[sim:tokens=5]]';
    const stream = client().messages.stream({ model: target().model, max_tokens: 64, system: 'You are terse.', messages: [{ role: 'user', content: prompt }] });
    let atStart = -1;
    stream.on('streamEvent', (e) => {
      if (e.type === 'message_start') atStart = e.message.usage.input_tokens;
    });
    const final = await stream.finalMessage();
    const engine = final.usage.input_tokens;
    expect(engine).toBeGreaterThan(0);
    // Within a factor of two of what the engine counted: enough to budget a context by.
    expect(atStart).toBeGreaterThan(engine / 2);
    expect(atStart).toBeLessThan(engine * 2);
  });

  it('stop_sequences: an answer cut by one says stop_sequence and which, streamed and whole', async () => {
    const ask = (extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) => ({
      model: target().model,
      max_tokens: 256,
      messages: [{ role: 'user' as const, content: 'Tell me about the sea. [[sim:tokens=40]]' }],
      ...extra,
    });
    const textOf = (m: Anthropic.Message) => m.content.filter((b) => b.type === 'text').map((b) => (b as Anthropic.TextBlock).text).join('');
    // The simulator's answer to a prompt is the same each time: a word from its middle is a stop
    // it will say, and two stops it never says change nothing.
    const full = textOf(await client().messages.create(ask()));
    const word = full.split(' ').filter((w) => /^[a-z]{3,}$/i.test(w))[4]!;
    const stop = ` ${word}`;
    const before = full.slice(0, full.indexOf(stop));
    const whole = await client().messages.create(ask({ stop_sequences: ['never-said', stop] }));
    expect({ reason: whole.stop_reason, sequence: whole.stop_sequence, text: textOf(whole) }).toEqual({ reason: 'stop_sequence', sequence: stop, text: before });
    const streamed = await client().messages.stream(ask({ stop_sequences: [stop, 'never-said'] })).finalMessage();
    expect({ reason: streamed.stop_reason, sequence: streamed.stop_sequence, text: textOf(streamed) }).toEqual({ reason: 'stop_sequence', sequence: stop, text: before });
    expect(streamed.usage.output_tokens).toBeGreaterThan(0);
    const unmatched = await client().messages.stream(ask({ stop_sequences: ['never-said'] })).finalMessage();
    expect({ reason: unmatched.stop_reason, sequence: unmatched.stop_sequence, text: textOf(unmatched) }).toEqual({ reason: 'end_turn', sequence: null, text: full });
  });

  it('messages.stream calls a tool, and a tool_result round trip gets the answer', async () => {
    const first = await client()
      .messages.stream({
        model: target().model,
        max_tokens: 256,
        tools: [weather],
        tool_choice: { type: 'auto' },
        messages: [{ role: 'user', content: 'Weather in Lisbon? [[sim:call=get_weather]]' }],
      })
      .finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(use.name).toBe('get_weather');
    expect(typeof (use.input as { city?: unknown }).city).toBe('string');
    const second = await client().messages.create({
      model: target().model,
      max_tokens: 256,
      tools: [weather],
      messages: [
        { role: 'user', content: 'Weather in Lisbon? [[sim:call=get_weather]]' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '21 °C, sunny' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content.some((b) => b.type === 'text')).toBe(true);
  });

  it('count_tokens counts with the engine', async () => {
    const r = await client().messages.countTokens({
      model: target().model,
      system: 'You are terse.',
      tools: [weather],
      messages: [{ role: 'user', content: 'How many tokens is this?' }],
    });
    expect(r.input_tokens).toBeGreaterThan(0);
  });

  it('tolerates what Claude Code sends: ?beta=true, adaptive thinking, a system turn, unknown fields', async () => {
    const res = await raw(`${target().baseURL}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': target().apiKey, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14,context-management-2025-06-27' },
      body: JSON.stringify({
        model: target().model,
        max_tokens: 32000,
        stream: true,
        thinking: { type: 'adaptive' },
        context_management: { edits: [] },
        output_config: { effort: 'medium' },
        metadata: { user_id: 'u1' },
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'Hi [[sim:tokens=4]]', cache_control: { type: 'ephemeral' } }] },
        ],
        tools: [{ ...weather, cache_control: { type: 'ephemeral' } }, { type: 'web_search_20250305', name: 'web_search', max_uses: 2 }],
      }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^event: message_start\n/);
    expect(text).toContain('event: content_block_stop');
    expect(text.trimEnd().endsWith('data: {"type":"message_stop"}')).toBe(true);
  });

  it('refuses in Anthropic’s shape: a missing max_tokens (400 naming it), an unknown model (404)', async () => {
    const bad = await raw(`${target().baseURL}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': target().apiKey },
      body: JSON.stringify({ model: target().model, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/max_tokens/);
    await expect(client().messages.create({ model: 'no-such-model:1b', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      error: { type: 'error', error: { type: 'not_found_error' } },
    });
  });
}
