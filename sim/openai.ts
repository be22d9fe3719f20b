import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { SimToolCall } from './answer.ts';
import type { Final, Sink } from './generation.ts';
import type { Env } from './lifecycle.ts';
import { goJson, goString } from './json.ts';
import { embedWorkMs, float32Array, vectorFor } from './native.ts';
import { ChainBuilder, chatChain } from './prompt-chain.ts';
import { directivesFor, planJob } from './plan.ts';
import { HttpError, parseBody, readJson, resolveModel, topLogprobs } from './request.ts';
import { serveGeneration, serveWork } from './serve.ts';
import { countTokens } from './text.ts';

/**
 * An error the native handler behind the OpenAI layer answered (unknown model, missing
 * capability, busy): the middleware's writeError re-encodes it with openai.NewError(500, …), so
 * the type is always `api_error` whatever the status, and json.Encoder adds the newline.
 */
export function openAIError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent || res.destroyed) return;
  const text = `${goJson({ error: { message, type: 'api_error', param: null, code: null } })}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** An error of the OpenAI middleware's own checks: openai.NewError(status) through gin's c.JSON (charset, no newline). */
export function openAIMiddlewareError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent || res.destroyed) return;
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  const text = goJson({ error: { message, type, param: null, code: null } });
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendEncoded(res: ServerResponse, body: string): void {
  const text = `${body}\n`;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const unix = (): number => Math.floor(Date.now() / 1000);

function usageJson(p: number, c: number): string {
  return `{"prompt_tokens":${p},"completion_tokens":${c},"total_tokens":${p + c}}`;
}

/**
 * A finished answer's usage. `cachedDetails` (the vLLM persona): vLLM's
 * `prompt_tokens_details.cached_tokens`, the prompt tokens its prefix cache held; Ollama has none.
 */
function finalUsage(f: Final, cachedDetails: boolean): string {
  const u = usageJson(f.promptTokens, f.evalCount);
  return cachedDetails ? `${u.slice(0, -1)},"prompt_tokens_details":{"cached_tokens":${f.cachedTokens}}}` : u;
}

/**
 * Ollama's ChatWriter: one chunk per native line (openai.ToChunk), every delta with
 * `"role":"assistant"` and `content`, the done line's chunk carrying the finish_reason (and the
 * calls the done line delivers). A native error line unmarshals into an empty ChatResponse, so a
 * mid-stream error becomes an empty delta with model "" and the stream simply ends — no finish
 * chunk, no [DONE]. Reproduced on purpose.
 */
class ChatSink implements Sink {
  private started = false;
  private created = 0;
  private content = '';
  private reasoning = '';
  private calls: SimToolCall[] = [];
  private logprobs = '';
  private callSent = false;
  private readonly pre: string;

  constructor(
    private readonly res: ServerResponse,
    private readonly id: string,
    private readonly model: string,
    private readonly stream: boolean,
    private readonly includeUsage: boolean,
    private readonly cachedDetails: boolean,
  ) {
    this.pre = `{"id":"${id}","object":"chat.completion.chunk","created":`;
  }

  private chunk(model: string, delta: string, finish: string, logprob = ''): boolean {
    if (!this.started) {
      this.started = true;
      this.created = unix();
      this.res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    }
    const lp = logprob ? `,"logprobs":{"content":[${logprob}]}` : '';
    return this.res.write(
      `data: ${this.pre}${this.created},"model":${goString(model)},"system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":${delta},"finish_reason":${finish}${lp}}]}\n\n`,
    );
  }

  /** ToChunk sets the role on every delta. */
  private role(): string {
    return '"role":"assistant",';
  }

  private keepLogprob(logprob: string | undefined): void {
    if (logprob) this.logprobs += (this.logprobs ? ',' : '') + logprob;
  }

  token(text: string, thinking: boolean, logprob?: string): boolean {
    if (!this.stream) {
      if (thinking) this.reasoning += text;
      else this.content += text;
      this.keepLogprob(logprob);
      return true;
    }
    const t = goString(text);
    const delta = thinking ? `{${this.role()}"content":"","reasoning":${t}}` : `{${this.role()}"content":${t}}`;
    return this.chunk(this.model, delta, 'null', logprob);
  }

  toolCalls(calls: readonly SimToolCall[], logprob?: string): boolean {
    if (!this.stream) {
      this.calls.push(...calls);
      this.keepLogprob(logprob);
      return true;
    }
    this.callSent = true;
    return this.chunk(this.model, `{${this.role()}"content":"","tool_calls":${openAIToolCalls(calls)}}`, 'null', logprob);
  }

  finish(f: Final, calls: readonly SimToolCall[]): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    // Ollama relabels only a natural stop: a call cut short by num_predict stays "length".
    const reason = f.doneReason === 'stop' && (this.callSent || calls.length > 0 || this.calls.length > 0) ? 'tool_calls' : f.doneReason;
    if (!this.stream) {
      const all = [...this.calls, ...calls];
      const r = this.reasoning ? `,"reasoning":${goString(this.reasoning)}` : '';
      const tc = all.length ? `,"tool_calls":${openAIToolCalls(all)}` : '';
      const lp = this.logprobs ? `,"logprobs":{"content":[${this.logprobs}]}` : '';
      sendEncoded(
        this.res,
        `{"id":"${this.id}","object":"chat.completion","created":${unix()},"model":${goString(this.model)},"system_fingerprint":"fp_ollama","choices":[{"index":0,"message":{"role":"assistant","content":${goString(this.content)}${r}${tc}},"finish_reason":"${reason}"${lp}}],"usage":${finalUsage(f, this.cachedDetails)}}`,
      );
      return;
    }
    // The done line's own chunk: empty content, the calls it delivers (harmony), the finish reason.
    const tc = calls.length ? `,"tool_calls":${openAIToolCalls(calls)}` : '';
    this.chunk(this.model, `{${this.role()}"content":""${tc}}`, `"${reason}"`);
    if (this.includeUsage) {
      this.res.write(
        `data: ${this.pre}${this.created},"model":${goString(this.model)},"system_fingerprint":"fp_ollama","choices":[],"usage":${finalUsage(f, this.cachedDetails)}}\n\n`,
      );
    }
    this.res.end('data: [DONE]\n\n');
  }

  truncated(): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (this.stream) {
      this.res.end();
      return;
    }
    // A response that never saw done: no finish reason, zero usage.
    const r = this.reasoning ? `,"reasoning":${goString(this.reasoning)}` : '';
    sendEncoded(
      this.res,
      `{"id":"${this.id}","object":"chat.completion","created":${unix()},"model":${goString(this.model)},"system_fingerprint":"fp_ollama","choices":[{"index":0,"message":{"role":"assistant","content":${goString(this.content)}${r}},"finish_reason":null}],"usage":${usageJson(0, 0)}}`,
    );
  }

  fail(status: number, message: string): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (!this.started) return openAIError(this.res, status, message);
    this.chunk('', `{${this.role()}"content":""}`, 'null');
    this.res.end();
  }

  malformed(): void {
    if (!this.stream) {
      this.res.writeHead(200, { 'Content-Type': 'application/json' });
      this.res.end(`{"id":"${this.id}","object":"chat.comp`);
      return;
    }
    this.chunk(this.model, '{"content":"', 'null');
    this.res.write(`data: {"id":"${this.id}","object":\n\n`);
  }
}

/** Ollama's openai.ToToolCalls: arguments become a JSON string. */
function openAIToolCalls(calls: readonly SimToolCall[]): string {
  let s = '';
  for (const c of calls) {
    s += `${s ? ',' : ''}{"id":"${c.id}","index":${c.index},"type":"function","function":{"name":${goString(c.name)},"arguments":${goString(c.argsJson)}}}`;
  }
  return `[${s}]`;
}

/** Ollama's CompleteWriter: every chunk carries zero usage when include_usage is on (as Ollama does). */
class CompletionSink implements Sink {
  private started = false;
  private content = '';
  private readonly zeroUsage: string;

  constructor(
    private readonly res: ServerResponse,
    private readonly id: string,
    private readonly model: string,
    private readonly stream: boolean,
    private readonly includeUsage: boolean,
    private readonly cachedDetails: boolean,
  ) {
    this.zeroUsage = includeUsage ? `,"usage":${usageJson(0, 0)}` : '';
  }

  private chunk(model: string, choices: string, usage: string): boolean {
    if (!this.started) {
      this.started = true;
      this.res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    }
    return this.res.write(
      `data: {"id":"${this.id}","object":"text_completion","created":${unix()},"choices":${choices},"model":${goString(model)},"system_fingerprint":"fp_ollama"${usage}}\n\n`,
    );
  }

  /** Ollama's completions layer drops logprobs (ToCompleteChunk never copies them). */
  token(text: string, thinking: boolean): boolean {
    if (thinking || text === '') return true;
    if (!this.stream) {
      this.content += text;
      return true;
    }
    return this.chunk(this.model, `[{"text":${goString(text)},"index":0,"finish_reason":null}]`, this.zeroUsage);
  }

  toolCalls(): boolean {
    return true;
  }

  truncated(): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (this.stream) {
      this.res.end();
      return;
    }
    sendEncoded(
      this.res,
      `{"id":"${this.id}","object":"text_completion","created":${unix()},"model":${goString(this.model)},"system_fingerprint":"fp_ollama","choices":[{"text":${goString(this.content)},"index":0,"finish_reason":null}],"usage":${usageJson(0, 0)}}`,
    );
  }

  finish(f: Final): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (!this.stream) {
      sendEncoded(
        this.res,
        `{"id":"${this.id}","object":"text_completion","created":${unix()},"model":${goString(this.model)},"system_fingerprint":"fp_ollama","choices":[{"text":${goString(this.content)},"index":0,"finish_reason":"${f.doneReason}"}],"usage":${finalUsage(f, this.cachedDetails)}}`,
      );
      return;
    }
    this.chunk(this.model, `[{"text":"","index":0,"finish_reason":"${f.doneReason}"}]`, this.zeroUsage);
    if (this.includeUsage) this.chunk(this.model, '[]', `,"usage":${finalUsage(f, this.cachedDetails)}`);
    this.res.end('data: [DONE]\n\n');
  }

  fail(status: number, message: string): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (!this.started) return openAIError(this.res, status, message);
    this.chunk('', '[{"text":"","index":0,"finish_reason":null}]', this.zeroUsage);
    this.res.end();
  }

  malformed(): void {
    if (!this.stream) {
      this.res.writeHead(200, { 'Content-Type': 'application/json' });
      this.res.end(`{"id":"${this.id}","object":"text_comp`);
      return;
    }
    this.res.write(`data: {"id":"${this.id}","object":\n\n`);
  }
}

/** Ollama's OpenAI layer takes `stop` as one string or a list. */
const stopList = (s: string | string[] | null | undefined): string[] | undefined => (s == null ? undefined : typeof s === 'string' ? [s] : s);

const part = z.object({ type: z.string(), text: z.string().optional() }).passthrough();
const chatReq = z.object({
  model: z.string().default(''),
  messages: z.array(z.object({ role: z.string(), content: z.union([z.string(), z.array(part), z.null()]).optional() }).passthrough()),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.number().int().nullish(),
  seed: z.number().int().nullish(),
  reasoning_effort: z.string().nullish(),
  reasoning: z.object({ effort: z.string().nullish() }).nullish(),
  tools: z.array(z.unknown()).nullish(),
  response_format: z.object({ type: z.string(), json_schema: z.object({ schema: z.unknown() }).passthrough().nullish() }).passthrough().nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
}).passthrough();

const completionReq = z.object({
  model: z.string().default(''),
  prompt: z.string().default(''),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: z.number().int().nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
}).passthrough();

const embedReq = z.object({
  model: z.string().default(''),
  input: z.unknown().optional(),
  dimensions: z.number().int().nullish(),
  encoding_format: z.string().nullish(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown, goStruct: string): T {
  return parseBody(schema, body, goStruct, 'middleware');
}

/** Ollama's FromChatRequest: json_object → "json", json_schema → its schema. */
function formatOf(rf: { type: string; json_schema?: { schema?: unknown } | null | undefined } | null | undefined): unknown {
  switch (rf?.type.trim().toLowerCase()) {
    case 'json_object':
      return 'json';
    case 'json_schema':
      return rf?.json_schema?.schema;
    default:
      return undefined;
  }
}

function textOf(content: string | Array<{ type: string; text?: string | undefined }> | null | undefined): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  let s = '';
  for (const p of content) if (p.type === 'text' && p.text) s += p.text;
  return s;
}

export async function handleOpenAI(env: Env, req: IncomingMessage, res: ServerResponse, kind: 'chat' | 'completions' | 'embeddings' | 'models' | 'model'): Promise<void> {
  if (kind === 'model') {
    const id = decodeURIComponent((req.url ?? '').split('?')[0]!.slice('/v1/models/'.length));
    const cfg = resolveModel(env.opts.models, id);
    if (!cfg) throw new HttpError(404, `model '${id}' not found`);
    sendEncoded(res, `{"id":${goString(id)},"object":"model","created":1759320000,"owned_by":"library"}`);
    return;
  }
  if (kind === 'models') {
    const data = env.opts.models.map((m) => `{"id":${goString(m.name)},"object":"model","created":1759320000,"owned_by":"library"}`);
    sendEncoded(res, `{"object":"list","data":${data.length ? `[${data.join(',')}]` : 'null'}}`);
    return;
  }
  const raw = await readJson(req).catch((e: unknown) => {
    // The OpenAI middleware binds the body itself: its own 400, not the native handler's.
    throw e instanceof HttpError ? new HttpError(e.status, e.message, 'middleware') : e;
  });
  if (kind === 'embeddings') return embeddings(env, req, res, parse(embedReq, raw, 'openai.EmbedRequest'));

  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${Math.floor(env.rnd() * 999)}`;
  if (kind === 'chat') {
    const body = parse(chatReq, raw, 'openai.ChatCompletionRequest');
    if (body.messages.length === 0) throw new HttpError(400, "[] is too short - 'messages'", 'middleware');
    const cfg = resolveModel(env.opts.models, body.model);
    if (!cfg) throw new HttpError(404, `model '${body.model}' not found`);
    env.stats.request(cfg.name);
    if (cfg.kind === 'embedding') throw new HttpError(400, `"${body.model}" does not support chat`);
    const effort = body.reasoning_effort ?? body.reasoning?.effort ?? undefined;
    const think = effort !== undefined && effort !== 'none';
    if (think && !cfg.thinking) throw new HttpError(400, `"${body.model}" does not support thinking`);
    const msgs = body.messages.map((m) => ({ role: m.role, content: textOf(m.content) }));
    let last = '';
    for (const m of msgs) if (m.role === 'user') last = m.content;
    const shape = {
      tools: body.tools,
      format: formatOf(body.response_format),
      userTurn: msgs[msgs.length - 1]?.role === 'user',
      topLogprobs: topLogprobs(body.logprobs, body.top_logprobs),
      stop: stopList(body.stop),
    };
    const job = planJob(env, cfg, directivesFor(req, last), last, chatChain(msgs, body.tools), body.max_tokens ?? undefined, body.seed ?? undefined, think, shape);
    const sink = new ChatSink(res, id, body.model, body.stream === true, body.stream_options?.include_usage === true, env.vllm !== undefined);
    return serveGeneration(env, '/v1/chat/completions', cfg, job, sink, res, undefined);
  }
  const body = parse(completionReq, raw, 'openai.CompletionRequest');
  const cfg = resolveModel(env.opts.models, body.model);
  if (!cfg) throw new HttpError(404, `model '${body.model}' not found`);
  env.stats.request(cfg.name);
  if (cfg.kind === 'embedding') throw new HttpError(400, `"${body.model}" does not support generate`);
  const job = planJob(env, cfg, directivesFor(req, body.prompt), body.prompt, new ChainBuilder().text(body.prompt).marker('completion', 7).finish(), body.max_tokens ?? undefined, body.seed ?? undefined, false, {
    tools: undefined,
    format: undefined,
    userTurn: true,
    topLogprobs: undefined,
    stop: stopList(body.stop),
  });
  const sink = new CompletionSink(res, id, body.model, body.stream === true, body.stream_options?.include_usage === true, env.vllm !== undefined);
  return serveGeneration(env, '/v1/completions', cfg, job, sink, res, undefined);
}

async function embeddings(env: Env, req: IncomingMessage, res: ServerResponse, body: z.infer<typeof embedReq>): Promise<void> {
  const fmt = body.encoding_format ?? '';
  if (fmt !== '' && fmt.toLowerCase() !== 'float' && fmt.toLowerCase() !== 'base64') {
    throw new HttpError(400, `Invalid value for 'encoding_format' = ${fmt}. Supported values: ['float', 'base64'].`, 'middleware');
  }
  let inputs: string[];
  if (typeof body.input === 'string' && body.input !== '') inputs = [body.input];
  else if (Array.isArray(body.input) && body.input.length > 0 && body.input.every((x) => typeof x === 'string')) inputs = body.input as string[];
  else throw new HttpError(400, 'invalid input', 'middleware');
  const cfg = resolveModel(env.opts.models, body.model);
  if (!cfg) throw new HttpError(404, `model "${body.model}" not found, try pulling it first`);
  env.stats.request(cfg.name);
  const d = directivesFor(req, inputs.join('\n'));
  let tokens = 0;
  for (const s of inputs) tokens += countTokens(s) + 2;
  const base64 = fmt.toLowerCase() === 'base64';
  await serveWork(env, '/v1/embeddings', cfg, res, undefined, d.fault, embedWorkMs(cfg, tokens), (s, m) => openAIError(res, s, m), () => {
    let data = '';
    inputs.forEach((inp, i) => {
      const v = vectorFor(inp, cfg, body.dimensions);
      const emb = base64 ? `"${Buffer.from(Float32Array.from(v).buffer).toString('base64')}"` : float32Array(v);
      data += `${i ? ',' : ''}{"object":"embedding","embedding":${emb},"index":${i}}`;
    });
    sendEncoded(res, `{"object":"list","data":[${data}],"model":${goString(body.model)},"usage":{"prompt_tokens":${tokens},"total_tokens":${tokens}}}`);
  });
}
