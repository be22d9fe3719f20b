import type { ServerResponse } from 'node:http';
import type { SimToolCall } from './answer.ts';
import type { Final, Sink } from './generation.ts';
import { goJson, goString, rfc3339Nano } from './json.ts';

export const jsonType = 'application/json; charset=utf-8';

/** gin's c.JSON: compact Go JSON, no trailing newline. */
export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = jsonType): void {
  if (res.headersSent || res.destroyed) return;
  const text = goJson(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Metrics in Go's field order; zero values omitted (omitempty). */
export function metricsJson(f: Final): string {
  let s = '';
  if (f.totalNs) s += `,"total_duration":${f.totalNs}`;
  if (f.loadNs) s += `,"load_duration":${f.loadNs}`;
  if (f.promptTokens) s += `,"prompt_eval_count":${f.promptTokens}`;
  if (f.promptEvalNs) s += `,"prompt_eval_duration":${f.promptEvalNs}`;
  if (f.evalCount) s += `,"eval_count":${f.evalCount}`;
  if (f.evalNs) s += `,"eval_duration":${f.evalNs}`;
  return s;
}

/** `api.ToolCall` as the native API writes it: arguments stay a JSON object. */
export function nativeToolCalls(calls: readonly SimToolCall[]): string {
  let s = '';
  for (const c of calls) s += `${s ? ',' : ''}{"id":"${c.id}","function":{"index":${c.index},"name":${goString(c.name)},"arguments":${c.argsJson}}}`;
  return `[${s}]`;
}

/**
 * Native /api/chat and /api/generate output. Streaming writes headers with the first line, like
 * gin does, so a slow prefill means no response headers yet.
 */
export class NativeSink implements Sink {
  private readonly head: string;
  private content = '';
  private thinking = '';
  private calls: SimToolCall[] = [];
  private logprobs = '';
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    model: string,
    private readonly chat: boolean,
    private readonly stream: boolean,
    private readonly context: () => number[],
  ) {
    this.head = `{"model":${goString(model)},"created_at":"`;
  }

  private write(line: string): boolean {
    if (!this.started) {
      this.started = true;
      this.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    }
    return this.res.write(line);
  }

  /** The message (chat) or response fields of one line, in Go's field order. */
  private body(content: string, thinking: string, calls: readonly SimToolCall[]): string {
    const c = goString(content);
    const th = thinking ? `,"thinking":${goString(thinking)}` : '';
    if (!this.chat) return `"response":${c}${th}`;
    const tc = calls.length ? `,"tool_calls":${nativeToolCalls(calls)}` : '';
    return `"message":{"role":"assistant","content":${c}${th}${tc}}`;
  }

  private line(body: string, logprobs: string): boolean {
    const lp = logprobs ? `,"logprobs":[${logprobs}]` : '';
    return this.write(`${this.head}${rfc3339Nano()}",${body},"done":false${lp}}\n`);
  }

  private keep(text: string, thinking: boolean, logprob: string | undefined): void {
    if (thinking) this.thinking += text;
    else this.content += text;
    if (logprob) this.logprobs += (this.logprobs ? ',' : '') + logprob;
  }

  token(text: string, thinking: boolean, logprob?: string): boolean {
    if (!this.stream) {
      this.keep(text, thinking, logprob);
      return true;
    }
    return this.line(thinking ? this.body('', text, []) : this.body(text, '', []), logprob ?? '');
  }

  toolCalls(calls: readonly SimToolCall[], logprob?: string): boolean {
    if (!this.stream) {
      this.calls.push(...calls);
      this.keep('', false, logprob);
      return true;
    }
    return this.line(this.body('', '', calls), logprob ?? '');
  }

  private doneLine(f: Final, body: string, logprobs: string): string {
    const lp = logprobs ? `,"logprobs":[${logprobs}]` : '';
    if (this.chat) {
      return `${this.head}${rfc3339Nano()}",${body},"done":true,"done_reason":"${f.doneReason}"${lp}${metricsJson(f)}}`;
    }
    const ctx = this.context();
    const ctxJson = ctx.length ? `,"context":[${ctx.join(',')}]` : '';
    return `${this.head}${rfc3339Nano()}",${body},"done":true,"done_reason":"${f.doneReason}"${ctxJson}${metricsJson(f)}${lp}}`;
  }

  finish(f: Final, calls: readonly SimToolCall[]): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (this.stream) {
      this.write(this.doneLine(f, this.body('', '', calls), '') + '\n');
      this.res.end();
      return;
    }
    const text = this.doneLine(f, this.body(this.content, this.thinking, [...this.calls, ...calls]), this.logprobs);
    this.res.writeHead(200, { 'Content-Type': jsonType, 'Content-Length': Buffer.byteLength(text) });
    this.res.end(text);
  }

  truncated(): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (this.stream) {
      this.res.end();
      return;
    }
    // The non-streamed answer is the last line it saw: done false, no reason, no metrics.
    const lp = this.logprobs ? `,"logprobs":[${this.logprobs}]` : '';
    const text = `${this.head}${rfc3339Nano()}",${this.body(this.content, this.thinking, this.calls)},"done":false${lp}}`;
    this.res.writeHead(200, { 'Content-Type': jsonType, 'Content-Length': Buffer.byteLength(text) });
    this.res.end(text);
  }

  fail(status: number, message: string): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (this.started) {
      // json.NewEncoder: the error line ends with a newline; no done:true follows.
      this.res.end(`${goJson({ error: message })}\n`);
      return;
    }
    // streamResponse sets a bare application/json before c.JSON for errors it streams.
    sendJson(this.res, status, { error: message }, this.stream ? 'application/json' : jsonType);
  }

  malformed(): void {
    if (this.stream) this.write(`${this.head}${rfc3339Nano()}","message":{"role":"assist\n`);
    else {
      this.res.writeHead(200, { 'Content-Type': jsonType });
      this.res.end(`${this.head}${rfc3339Nano()}","message":{"ro`);
    }
  }
}
