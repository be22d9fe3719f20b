/**
 * Google's Python SDK (`google-genai`, installed by scripts/ensure-python-sdks.sh) through the
 * edge (workerd) with a tenant key, in front of the simulator, at its default API version (v1):
 * generate_content, a stream whose
 * engine falls silent (the keepalives, blank lines, are skipped by its parser, which fails on an
 * SSE comment), a function call round trip, count_tokens, models.list, and errors it raises
 * with Google's codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdgeStack, type EdgeStack } from '../edge/harness/stack.ts';
import { pythonSdk, runPython } from '../helpers/python-sdk.ts';

let s: EdgeStack;
let python: string;
beforeAll(async () => {
  python = pythonSdk();
  s = await startEdgeStack('workers', { timeScale: 0.05, keepaliveMs: 100 });
}, 600_000);
afterAll(() => s?.close());

const SCRIPT = `
import json, os
from google import genai
from google.genai import types, errors

client = genai.Client(api_key=os.environ["KEY"], http_options=types.HttpOptions(base_url=os.environ["BASE_URL"], retry_options=types.HttpRetryOptions(attempts=1)))
model = "gpt-oss:20b"
out = {}

r = client.models.generate_content(model=model, contents="Say hello [[sim:tokens=6]]", config=types.GenerateContentConfig(system_instruction="Be terse.", temperature=0.2, max_output_tokens=64))
out["text"] = r.text
out["finish"] = r.candidates[0].finish_reason.value
out["usage"] = [r.usage_metadata.prompt_token_count, r.usage_metadata.candidates_token_count]

chunks = list(client.models.generate_content_stream(model=model, contents="Go on [[sim:tokens=8,fault=stall,after=3,ms=12000]]"))
out["stream"] = {"texts": sum(1 for c in chunks if c.text), "finish": chunks[-1].candidates[0].finish_reason.value}

weather = types.FunctionDeclaration(name="get_weather", description="Current weather of a city", parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]))
cfg = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[weather])], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
ask = types.Content(role="user", parts=[types.Part(text="Weather in Lisbon? [[sim:call=get_weather]]")])
first = client.models.generate_content(model=model, contents=[ask], config=cfg)
call = first.function_calls[0]
out["call"] = {"name": call.name, "city": type(call.args.get("city")).__name__}
second = client.models.generate_content(model=model, config=cfg, contents=[ask, first.candidates[0].content, types.Content(role="user", parts=[types.Part.from_function_response(name="get_weather", response={"output": "21 C, sunny"})])])
out["answered"] = bool(second.text) and not second.function_calls

out["tokens"] = client.models.count_tokens(model=model, contents="How many tokens is this?").total_tokens
# The SDK's default API version is v1, where Puerta serves generation; the model list is v1beta's (GET /v1/models is OpenAI's).
beta = genai.Client(api_key=os.environ["KEY"], http_options=types.HttpOptions(base_url=os.environ["BASE_URL"], api_version="v1beta"))
out["models"] = [m.name for m in beta.models.list()]

try:
    client.models.generate_content(model="no-such-model:1b", contents="x")
except errors.ClientError as e:
    out["unknown"] = [e.code, e.status]
stranger = genai.Client(api_key="pk_nobody_wrongsecret", http_options=types.HttpOptions(base_url=os.environ["BASE_URL"]))
try:
    stranger.models.generate_content(model=model, contents="x")
except errors.ClientError as e:
    out["unauth"] = [e.code, e.status]
print(json.dumps(out))
`;

describe('google-genai (Python) through the edge on Workers', () => {
  it('answers, streams through keepalives, calls a function, counts, lists, and raises Google’s errors', { timeout: 120_000 }, async () => {
    const r = await runPython<Record<string, unknown>>(python, SCRIPT, { BASE_URL: s.edge.url, KEY: s.keys.open }, 90_000);
    expect(r).toMatchObject({
      finish: 'STOP',
      stream: { finish: 'STOP' },
      call: { name: 'get_weather', city: 'str' },
      answered: true,
      unknown: [404, 'NOT_FOUND'],
      unauth: [401, 'UNAUTHENTICATED'],
    });
    expect((r.text as string).length).toBeGreaterThan(0);
    expect((r.usage as number[])[1]).toBe(6);
    expect((r.stream as { texts: number }).texts).toBeGreaterThan(3);
    expect(r.tokens).toBeGreaterThan(0);
    expect(r.models).toContain('models/gpt-oss:20b');
  });
});
