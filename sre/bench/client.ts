/**
 * One streamed request, timed on arrival of each piece of content: TTFT is the first content
 * (answer or reasoning) token, not the first byte, because keepalive comments and role-only
 * deltas arrive before any token and would flatter it.
 */
import { Agent, request } from 'undici';
import { createSseDecoder } from '../../shared/sse.ts';
import type { Prompt } from './prompts.ts';
import type { Target } from './config.ts';

export type ErrorKind = `http_${number}` | 'timeout' | 'connect' | 'reset' | 'stream_error' | 'truncated' | 'other';

export interface RequestSample {
  /** ms since the step began, when the request was sent. */
  startMs: number;
  ok: boolean;
  error?: ErrorKind;
  errorMessage?: string;
  ttftMs?: number;
  e2eMs: number;
  /** Gaps between consecutive content events (ms). */
  itlMs: number[];
  outputTokens: number;
  inputTokens: number;
  /** Admission wait and engine first byte as the origin reports them (Server-Timing), when it does. */
  queueMs?: number;
  upstreamMs?: number;
}

/** Unbounded connections: the harness, not the pool, decides concurrency. */
export const benchAgent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });

function body(t: Target, model: string, p: Prompt): string {
  if (t.api === 'openai') {
    return JSON.stringify({ model, stream: true, stream_options: { include_usage: true }, max_tokens: p.outputTokens, messages: p.messages });
  }
  return JSON.stringify({ model, stream: true, messages: p.messages, options: { num_predict: p.outputTokens } });
}

function classify(err: unknown, timedOut: boolean): ErrorKind {
  if (timedOut) return 'timeout';
  const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ENOTFOUND') return 'connect';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  return 'other';
}

interface Parsed {
  /** Content events in this piece. */
  content: number;
  done: boolean;
  error?: string;
  usageTokens?: number;
  inputTokens?: number;
}

/** Incremental SSE reader for the OpenAI stream, on eventsource-parser (CRLF, multi-line data, comments). */
function sseParser(): (text: string) => Parsed {
  let out: Parsed = { content: 0, done: false };
  const decoder = createSseDecoder({
    onEvent(m) {
      const data = m.data;
      if (!data) return;
      if (m.event === 'error') {
        out.error = data;
        return;
      }
      if (data === '[DONE]') {
        out.done = true;
        return;
      }
      try {
        const j = JSON.parse(data) as {
          error?: unknown;
          choices?: Array<{ delta?: { content?: string; reasoning?: string; reasoning_content?: string } }>;
          usage?: { completion_tokens?: number; prompt_tokens?: number };
        };
        if (j.error) out.error = JSON.stringify(j.error);
        const d = j.choices?.[0]?.delta;
        if (d && (d.content || d.reasoning || d.reasoning_content)) out.content++;
        if (j.usage?.completion_tokens !== undefined) out.usageTokens = j.usage.completion_tokens;
        if (j.usage?.prompt_tokens !== undefined) out.inputTokens = j.usage.prompt_tokens;
      } catch {
        out.error = `malformed event: ${data.slice(0, 80)}`;
      }
    },
  });
  return (text) => {
    out = { content: 0, done: false };
    decoder.feed(text);
    return out;
  };
}

/** The origin's Server-Timing entries (`queue`, `upstream`), in ms; the edge passes them through. */
export function serverTiming(header: string | string[] | undefined): { queueMs?: number; upstreamMs?: number } {
  const out: { queueMs?: number; upstreamMs?: number } = {};
  for (const entry of (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')) {
    const [name, ...params] = entry.trim().split(';');
    const dur = params.map((p) => /^\s*dur=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (dur === undefined) continue;
    if (name === 'queue') out.queueMs = Number(dur);
    else if (name === 'upstream') out.upstreamMs = Number(dur);
  }
  return out;
}

/** Incremental NDJSON reader for Ollama's native stream. */
function ndjsonParser(): (text: string) => Parsed {
  let buf = '';
  return (text) => {
    buf += text;
    const out: Parsed = { content: 0, done: false };
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      try {
        const j = JSON.parse(line) as { error?: string; done?: boolean; message?: { content?: string; thinking?: string }; eval_count?: number; prompt_eval_count?: number };
        if (j.error) out.error = j.error;
        if (j.message && (j.message.content || j.message.thinking)) out.content++;
        if (j.done) {
          out.done = true;
          if (j.eval_count !== undefined) out.usageTokens = j.eval_count;
          if (j.prompt_eval_count !== undefined) out.inputTokens = j.prompt_eval_count;
        }
      } catch {
        out.error = `malformed line: ${line.slice(0, 80)}`;
      }
    }
    return out;
  };
}

export async function sendOne(t: Target, model: string, p: Prompt, o: { timeoutMs: number; stepStart: number }): Promise<RequestSample> {
  const t0 = performance.now();
  const s: RequestSample = { startMs: t0 - o.stepStart, ok: false, e2eMs: 0, itlMs: [], outputTokens: 0, inputTokens: p.inputTokens };
  const signal = AbortSignal.timeout(o.timeoutMs);
  const path = t.api === 'openai' ? '/v1/chat/completions' : '/api/chat';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (t.apiKey) headers.authorization = `Bearer ${t.apiKey}`;
  try {
    const res = await request(new URL(path, t.url), { method: 'POST', body: body(t, model, p), headers, signal, dispatcher: benchAgent });
    if (res.statusCode !== 200) {
      s.error = `http_${res.statusCode}`;
      s.errorMessage = (await res.body.text()).slice(0, 200);
      return s;
    }
    Object.assign(s, serverTiming(res.headers['server-timing']));
    const parse = t.api === 'openai' ? sseParser() : ndjsonParser();
    const decoder = new TextDecoder();
    let last = 0;
    let events = 0;
    let done = false;
    for await (const chunk of res.body) {
      const now = performance.now();
      const r = parse(decoder.decode(chunk as Buffer, { stream: true }));
      if (r.content > 0) {
        if (events === 0) {
          s.ttftMs = now - t0;
          for (let k = 1; k < r.content; k++) s.itlMs.push(0);
        } else {
          // Several events in one read: the gap since the last read is shared between them.
          const gap = (now - last) / r.content;
          for (let k = 0; k < r.content; k++) s.itlMs.push(gap);
        }
        events += r.content;
        last = now;
      }
      if (r.usageTokens !== undefined) s.outputTokens = r.usageTokens;
      if (r.inputTokens !== undefined) s.inputTokens = r.inputTokens;
      if (r.error) {
        s.error = 'stream_error';
        s.errorMessage = r.error.slice(0, 200);
      }
      if (r.done) done = true;
    }
    if (s.outputTokens === 0) s.outputTokens = events;
    s.e2eMs = performance.now() - t0;
    if (!s.error && !done) {
      s.error = 'truncated';
      s.errorMessage = 'stream ended without [DONE] / done:true';
    }
    s.ok = !s.error;
    return s;
  } catch (err) {
    s.error = classify(err, signal.aborted);
    s.errorMessage = (err as Error).message;
    s.e2eMs = performance.now() - t0;
    return s;
  }
}
