/**
 * The official `openai` client's Responses API against a Puerta base URL (the origin, or an edge
 * in front of it), in front of the simulator: responses.create and responses.stream with text,
 * reasoning and function calls, a function_call_output round trip, and what Codex CLI sends.
 */
import OpenAI from 'openai';
import { expect, it } from 'vitest';

export interface ResponsesTarget {
  /** Base URL without /v1. */
  baseURL: string;
  apiKey: string;
  model: string;
  /** How to reach the base URL (an edge test places the client in a country). */
  fetch?: typeof fetch;
}

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

export function responsesClientSuite(target: () => ResponsesTarget): void {
  const client = () => new OpenAI({ baseURL: `${target().baseURL}/v1`, apiKey: target().apiKey, maxRetries: 0, ...(target().fetch ? { fetch: target().fetch } : {}) });

  it('responses.create answers with output_text and usage', async () => {
    const r = await client().responses.create({ model: target().model, instructions: 'Be terse.', input: 'Say hello [[sim:tokens=6]]' });
    expect(r.object).toBe('response');
    expect(r.status).toBe('completed');
    expect(r.output_text.length).toBeGreaterThan(0);
    expect(r.usage?.output_tokens).toBe(6);
    expect(r.usage?.input_tokens).toBeGreaterThan(0);
  });

  it('responses.stream streams reasoning then text, every item done, completed with usage', async () => {
    const stream = client().responses.stream({
      model: target().model,
      reasoning: { effort: 'low' },
      input: [{ role: 'developer', content: 'Think first.' }, { role: 'user', content: 'Why is the sky blue? [[sim:tokens=40]]' }],
    });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    const reasoning = final.output[0] as OpenAI.Responses.ResponseReasoningItem;
    expect(reasoning.content?.[0]?.text.length).toBeGreaterThan(0);
    expect(final.output_text.length).toBeGreaterThan(0);
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(types).toContain('response.reasoning_text.delta');
    expect(types).toContain('response.output_text.delta');
    expect(types.filter((t) => t === 'response.output_item.done').length).toBe(2);
    expect(types.at(-1)).toBe('response.completed');
    expect(final.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('streams a function call, and a function_call_output round trip gets the answer', async () => {
    const first = await client()
      .responses.stream({ model: target().model, tools: [weather], input: 'Weather in Lisbon? [[sim:call=get_weather]]' })
      .finalResponse();
    const call = first.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.name).toBe('get_weather');
    expect(typeof (JSON.parse(call.arguments) as { city?: unknown }).city).toBe('string');
    const second = await client().responses.create({
      model: target().model,
      tools: [weather],
      input: [
        { role: 'user', content: 'Weather in Lisbon? [[sim:call=get_weather]]' },
        ...first.output.filter((o) => o.type === 'function_call' || o.type === 'reasoning'),
        { type: 'function_call_output', call_id: call.call_id, output: '21 °C, sunny' },
      ] as OpenAI.Responses.ResponseInput,
    });
    expect(second.status).toBe('completed');
    expect(second.output_text.length).toBeGreaterThan(0);
  });

  it('takes what Codex CLI sends: store false, include, non-function tools, reasoning summary', async () => {
    const stream = client().responses.stream({
      model: target().model,
      store: false,
      include: ['reasoning.encrypted_content'],
      reasoning: { effort: 'medium', summary: 'auto' },
      parallel_tool_calls: false,
      tools: [weather, { type: 'web_search' } as unknown as OpenAI.Responses.Tool, { type: 'namespace', name: 'mcp', tools: [] } as unknown as OpenAI.Responses.Tool],
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'You are Codex.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi [[sim:tokens=5]]' }] },
      ],
    });
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text.length).toBeGreaterThan(0);
  });

  it('refuses stored state clearly: store true and previous_response_id are 400s naming the field', async () => {
    await expect(client().responses.create({ model: target().model, input: 'x', store: true })).rejects.toMatchObject({ status: 400, param: 'store' });
    await expect(client().responses.create({ model: target().model, input: 'x', previous_response_id: 'resp_1' })).rejects.toMatchObject({ status: 400, param: 'previous_response_id' });
  });
}
