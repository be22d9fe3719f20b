/**
 * The official OpenAI Python SDK's Responses stream helper (`client.responses.stream`) against
 * the origin, in front of the simulator: a stream the engine fails mid-way ends as one response,
 * named the same from `response.created` to `response.failed`, every event numbered in order,
 * and the SDK reads it to its end instead of raising "Lifecycle response identity changed.".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import { pythonSdk, runPython } from '../helpers/python-sdk.ts';
import { chat, origin } from '../quota/helpers.ts';

let stack: OriginStack;
let python: string;
beforeAll(async () => {
  python = pythonSdk();
  stack = await startOriginStack({ sim: { timeScale: 0.05 } });
}, 600_000);
afterAll(() => stack?.close());

const STREAM = `
import json, os
from openai import OpenAI
client = OpenAI(base_url=os.environ["BASE_URL"] + "/v1", api_key="unused", max_retries=0)
events = []
out = {"events": events}
try:
    with client.responses.stream(model="gpt-oss:20b", input=os.environ["INPUT"], extra_headers={"x-request-id": os.environ["REQUEST_ID"]}) as stream:
        for ev in stream:
            r = getattr(ev, "response", None)
            err = getattr(r, "error", None) if r is not None else None
            events.append({"type": ev.type, "seq": getattr(ev, "sequence_number", None), "id": getattr(r, "id", None), "code": getattr(err, "code", None)})
    out["outcome"] = "ended"
except Exception as e:
    out["outcome"] = "raised"
    out["error"] = type(e).__name__ + ": " + str(e)
print(json.dumps(out))
`;

interface Seen {
  type: string;
  seq: number | null;
  id: string | null;
  code: string | null;
}

const stream = (input: string, requestId: string, baseUrl = stack.origin.url) =>
  runPython<{ outcome: string; error?: string; events: Seen[] }>(python, STREAM, { BASE_URL: baseUrl, INPUT: input, REQUEST_ID: requestId });

describe('openai-python responses.stream through the origin', () => {
  it('an engine failure mid-stream: one response id, every event numbered, read to its end', async () => {
    const r = await stream('hi [[sim:tokens=20,fault=error,after=3]]', 'req-python-midstream-1');
    expect(r.error).toBeUndefined();
    expect(r.outcome).toBe('ended');
    const types = r.events.map((e) => e.type);
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types.slice(-2)).toEqual(['response.failed', 'error']);
    const ids = new Set(r.events.filter((e) => e.id !== null).map((e) => e.id));
    expect([...ids]).toEqual(['resp_req-python-midstream-1']);
    expect(r.events.map((e) => e.seq)).toEqual(r.events.map((_, i) => i));
    expect(r.events.find((e) => e.type === 'response.failed')?.code).toBe('server_error');
  });

  it('a whole answer streams to response.completed under the same naming', async () => {
    const r = await stream('hi [[sim:tokens=8]]', 'req-python-whole-1');
    expect(r.outcome).toBe('ended');
    expect(r.events.at(-1)).toMatchObject({ type: 'response.completed', id: 'resp_req-python-whole-1' });
    expect(r.events.map((e) => e.seq)).toEqual(r.events.map((_, i) => i));
  });

  it('a stream committed by keepalives whose request then fails (queue wait): created, failed, error, one id', async () => {
    const o = await origin(stack.sim.url, { admission: { defaultSlots: 1, queueWaitMs: 400 }, stream: { keepaliveMs: 100 } });
    const ctl = new AbortController();
    try {
      // The model's one slot is taken: the Responses request waits, keepalives commit its stream, then it fails.
      const long = await chat(o.url, { stream: true, tokens: 50_000, signal: ctl.signal, model: 'gpt-oss:20b' });
      expect(long.status).toBe(200);
      const r = await stream('hi [[sim:tokens=3]]', 'req-python-queued-1', o.url);
      expect(r.error).toBeUndefined();
      expect(r.events.map((e) => [e.type, e.seq])).toEqual([
        ['response.created', 0],
        ['response.failed', 1],
        ['error', 2],
      ]);
      expect(r.events.filter((e) => e.id !== null).map((e) => e.id)).toEqual(['resp_req-python-queued-1', 'resp_req-python-queued-1']);
      expect(r.events[1]!.code).toBe('server_error');
    } finally {
      ctl.abort();
      await o.close();
    }
  });
});
