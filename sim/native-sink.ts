import type { ServerResponse } from 'node:http';
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

/**
 * Native /api/chat and /api/generate output. Streaming writes headers with the first line, like
 * gin does, so a slow prefill means no response headers yet.
 */
export class NativeSink implements Sink {
  private readonly head: string;
  private content = '';
  private thinking = '';
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

  token(text: string, thinking: boolean): boolean {
    if (!this.stream) {
      if (thinking) this.thinking += text;
      else this.content += text;
      return true;
    }
    const t = goString(text);
    const body = this.chat
      ? thinking
        ? `"message":{"role":"assistant","content":"","thinking":${t}}`
        : `"message":{"role":"assistant","content":${t}}`
      : thinking
        ? `"response":"","thinking":${t}`
        : `"response":${t}`;
    return this.write(`${this.head}${rfc3339Nano()}",${body},"done":false}\n`);
  }

  private doneLine(f: Final, content: string, thinking: string): string {
    const c = goString(content);
    const th = thinking ? `,"thinking":${goString(thinking)}` : '';
    if (this.chat) {
      return `${this.head}${rfc3339Nano()}","message":{"role":"assistant","content":${c}${th}},"done":true,"done_reason":"${f.doneReason}"${metricsJson(f)}}`;
    }
    const ctx = this.context();
    const ctxJson = ctx.length ? `,"context":[${ctx.join(',')}]` : '';
    return `${this.head}${rfc3339Nano()}","response":${c}${th},"done":true,"done_reason":"${f.doneReason}"${ctxJson}${metricsJson(f)}}`;
  }

  finish(f: Final): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (this.stream) {
      this.write(this.doneLine(f, '', '') + '\n');
      this.res.end();
      return;
    }
    const body = this.doneLine(f, this.content, this.thinking);
    this.res.writeHead(200, { 'Content-Type': jsonType, 'Content-Length': Buffer.byteLength(body) });
    this.res.end(body);
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
