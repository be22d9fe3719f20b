import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Env } from './lifecycle.ts';
import { float32String, goJson, rfc3339Nano } from './json.ts';
import { NativeSink, sendJson } from './native-sink.ts';
import { directivesFor, planJob } from './plan.ts';
import {
  chatSchema, checkOptions, embeddingsSchema, embedSchema, generateSchema, HttpError, parseBody,
  parseKeepAlive, readJson, resolveModel, showSchema, topLogprobs, type ChatBody,
} from './request.ts';
import { serveGeneration, serveWork } from './serve.ts';
import { embedVector } from './embedding.ts';
import { ChainBuilder, chatChain, perMessageTokens, promptOverhead } from './prompt-chain.ts';
import { countTokens, fnv1a } from './text.ts';
import type { ModelConfig } from './types.ts';

function lastUserText(messages: ReadonlyArray<{ role: string; content?: string | null }>): string {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return messages[i]?.content ?? '';
  return messages[messages.length - 1]?.content ?? '';
}

function thinkOn(think: boolean | string | null | undefined): boolean {
  return think === true || typeof think === 'string';
}

/** POST /api/chat and /api/generate. */
export async function handleGenerate(env: Env, req: IncomingMessage, res: ServerResponse, chat: boolean): Promise<void> {
  const route = chat ? '/api/chat' : '/api/generate';
  const raw = await readJson(req);
  const body = chat ? parseBody(chatSchema, raw, 'ChatRequest') : parseBody(generateSchema, raw, 'GenerateRequest');
  if (!body.model) throw new HttpError(400, 'model is required');
  const keepAliveMs = parseKeepAlive(body.keep_alive);
  const cfg = resolveModel(env.opts.models, body.model);
  if (!cfg) throw new HttpError(404, `model '${body.model}' not found`);
  env.stats.request(cfg.name);

  const messages = chat ? ((body as ChatBody).messages ?? []) : [];
  const prompt = chat ? '' : ((body as { prompt?: string | null }).prompt ?? '');
  const empty = chat ? messages.length === 0 : prompt === '';
  const now = () => rfc3339Nano();

  // keep_alive 0 with nothing to say: unload, answered before scheduling (as Ollama does).
  if (empty && keepAliveMs === 0) {
    env.sched.expire(cfg.name);
    env.stats.completed(cfg.name);
    return sendJson(res, 200, doneOnly(chat, body.model, now(), 'unload'));
  }
  const top = topLogprobs(body.logprobs, body.top_logprobs);
  const opts = checkOptions(body.options);
  if (cfg.kind === 'embedding') throw new HttpError(400, `"${body.model}" does not support ${chat ? 'chat' : 'generate'}`);
  const think = thinkOn(body.think);
  if (think && !cfg.thinking) throw new HttpError(400, `"${body.model}" does not support thinking`);

  if (empty) {
    // Load only: how clients warm a model.
    return serveWork(env, route, cfg, res, keepAliveMs, undefined, 0, (s, m) => sendJson(res, s, { error: m }), () =>
      sendJson(res, 200, doneOnly(chat, body.model, now(), 'load')),
    );
  }

  const text = chat ? lastUserText(messages) : prompt;
  const d = directivesFor(req, text);
  const system = chat ? '' : ((body as { system?: string | null }).system ?? '');
  const tools = chat ? (body as ChatBody).tools : undefined;
  // Tool declarations are rendered into the prompt, so they cost prompt tokens.
  const chain = chat ? chatChain(messages, tools) : new ChainBuilder().text(system).marker('user', perMessageTokens).text(prompt).marker('generation', promptOverhead).finish();
  const userTurn = !chat || messages[messages.length - 1]?.role === 'user';
  const job = planJob(env, cfg, d, text, chain, opts.numPredict, opts.seed, think, { tools, format: body.format, userTurn, topLogprobs: top, stop: opts.stop });
  const stream = body.stream !== false;
  const ctxSeed = job.seed;
  const sink = new NativeSink(res, body.model, chat, stream, () => fakeContext(ctxSeed, chain.tokens + Math.max(0, job.naturalTokens)));
  await serveGeneration(env, route, cfg, job, sink, res, keepAliveMs);
}

function doneOnly(chat: boolean, model: string, createdAt: string, reason: 'load' | 'unload'): unknown {
  return chat
    ? { model, created_at: createdAt, message: { role: 'assistant', content: '' }, done: true, done_reason: reason }
    : { model, created_at: createdAt, response: '', done: true, done_reason: reason };
}

/** Generate's `context`: token ids of the conversation; only its length and stability matter. */
function fakeContext(seed: number, n: number): number[] {
  const out = new Array<number>(Math.min(n, 4096));
  let x = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x % 200_000;
  }
  return out;
}

/** Vectors for one input, truncated to `dimensions` and re-normalised as Ollama does. */
export function vectorFor(input: string, cfg: ModelConfig, dimensions: number | null | undefined): Float64Array {
  const full = embedVector(input, cfg.embeddingDim);
  if (!dimensions || dimensions <= 0 || dimensions >= full.length) return full;
  const v = full.slice(0, dimensions);
  let sum = 0;
  for (const x of v) sum += x * x;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
  return v;
}

export function float32Array(v: Float64Array): string {
  let s = '[';
  for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + float32String(v[i] as number);
  return s + ']';
}

export function embedWorkMs(cfg: ModelConfig, tokens: number): number {
  return (tokens / cfg.prefillTokensPerSec) * 1000 + cfg.baseLatencyMs;
}

/** POST /api/embed. */
export async function handleEmbed(env: Env, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parseBody(embedSchema, await readJson(req), 'EmbedRequest');
  if (!body.model) throw new HttpError(400, 'model is required');
  const keepAliveMs = parseKeepAlive(body.keep_alive);
  let inputs: string[];
  const inp = body.input;
  if (inp === undefined || inp === null) inputs = [];
  else if (typeof inp === 'string') inputs = inp === '' ? [] : [inp];
  else if (Array.isArray(inp) && inp.every((x) => typeof x === 'string')) inputs = inp as string[];
  else throw new HttpError(400, 'invalid input type');
  const cfg = resolveModel(env.opts.models, body.model);
  if (!cfg) throw new HttpError(404, `model "${body.model}" not found, try pulling it first`);
  env.stats.request(cfg.name);
  checkOptions(body.options);
  const d = directivesFor(req, inputs.join('\n'));
  let tokens = 0;
  for (const s of inputs) tokens += countTokens(s) + 2;
  await serveWork(env, '/api/embed', cfg, res, keepAliveMs, d.fault, inputs.length ? embedWorkMs(cfg, tokens) : 0, (s, m) => sendJson(res, s, { error: m }), (t) => {
    let text = `{"model":${goJson(body.model)},"embeddings":[`;
    for (let i = 0; i < inputs.length; i++) text += (i ? ',' : '') + float32Array(vectorFor(inputs[i] as string, cfg, body.dimensions));
    text += ']';
    if (inputs.length) {
      text += `,"total_duration":${t.totalNs}`;
      if (t.loadNs) text += `,"load_duration":${t.loadNs}`;
      if (tokens) text += `,"prompt_eval_count":${tokens}`;
    }
    text += '}';
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  });
}

/** POST /api/embeddings (legacy): float64 vector, no metrics. */
export async function handleEmbeddings(env: Env, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parseBody(embeddingsSchema, await readJson(req), 'EmbeddingRequest');
  if (!body.model) throw new HttpError(400, 'model is required');
  const keepAliveMs = parseKeepAlive(body.keep_alive);
  const cfg = resolveModel(env.opts.models, body.model);
  if (!cfg) throw new HttpError(404, `model "${body.model}" not found, try pulling it first`);
  env.stats.request(cfg.name);
  checkOptions(body.options);
  const d = directivesFor(req, body.prompt);
  const tokens = countTokens(body.prompt);
  await serveWork(env, '/api/embeddings', cfg, res, keepAliveMs, d.fault, body.prompt ? embedWorkMs(cfg, tokens) : 0, (s, m) => sendJson(res, s, { error: m }), () => {
    const v = body.prompt ? Array.from(vectorFor(body.prompt, cfg, undefined)) : [];
    sendJson(res, 200, { embedding: v });
  });
}

export function digestOf(cfg: ModelConfig): string {
  return createHash('sha256').update(cfg.name).digest('hex');
}

/** Fixed "pulled at" time so /api/tags is stable across runs. */
const modifiedAt = '2025-10-01T12:00:00.000000000Z';

function details(cfg: ModelConfig): Record<string, unknown> {
  return {
    parent_model: '',
    format: 'gguf',
    family: cfg.family,
    families: [cfg.family],
    parameter_size: cfg.parameterSize,
    quantization_level: cfg.quantization,
  };
}

export function handleTags(env: Env, res: ServerResponse): void {
  const models = env.opts.models.map((m) => ({
    name: m.name,
    model: m.name,
    modified_at: modifiedAt.replace('.000000000', ''),
    size: m.sizeBytes,
    digest: digestOf(m),
    details: details(m),
  }));
  sendJson(res, 200, { models });
}

export function handlePs(env: Env, res: ServerResponse): void {
  const loaded = env.sched.loadedModels();
  const models = loaded
    .map((s) => {
      const exp = s.active > 0 || s.expiresAt === 0 ? Date.now() + Math.max(0, s.keepAliveMs) : s.expiresAt;
      const expiresAt = !Number.isFinite(exp) || s.keepAliveMs < 0 ? new Date(8640000000000000) : new Date(exp);
      return {
        sortKey: expiresAt.getTime(),
        body: {
          name: s.cfg.name,
          model: s.cfg.name,
          size: s.cfg.sizeBytes,
          digest: digestOf(s.cfg),
          details: details(s.cfg),
          expires_at: rfc3339Nano(Math.min(expiresAt.getTime(), 253402300799000)),
          size_vram: s.cfg.sizeBytes,
          context_length: Math.min(s.cfg.contextLength, 4096 * s.cfg.numParallel),
        },
      };
    })
    .sort((a, b) => b.sortKey - a.sortKey)
    .map((m) => m.body);
  sendJson(res, 200, { models });
}

export async function handleShow(env: Env, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parseBody(showSchema, await readJson(req), 'ShowRequest');
  const name = body.model || body.name || '';
  if (!name) throw new HttpError(400, 'model is required');
  const cfg = resolveModel(env.opts.models, name);
  if (!cfg) throw new HttpError(404, `model '${name}' not found`);
  const arch = cfg.family;
  // Field order and omissions as Ollama's ShowResponse (license and parameters are omitempty:
  // the models here have no license, an embedding model no parameters).
  sendJson(res, 200, {
    modelfile: `# Modelfile generated by "ollama show"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM ${cfg.name}\n\nFROM ${cfg.name}\n`,
    ...(cfg.kind === 'chat' ? { parameters: 'temperature                    1' } : {}),
    template: '{{ .Prompt }}',
    details: details(cfg),
    model_info: {
      'general.architecture': arch,
      'general.parameter_count': Math.round(cfg.sizeBytes / 0.6),
      [`${arch}.context_length`]: cfg.contextLength,
      [`${arch}.embedding_length`]: cfg.embeddingDim,
    },
    // A real GGUF lists every tensor; these two stand for the list (the shape clients see).
    tensors: [
      { name: 'token_embd.weight', type: cfg.quantization, shape: [cfg.embeddingDim, 32_000] },
      { name: 'output_norm.weight', type: 'F32', shape: [cfg.embeddingDim] },
    ],
    capabilities: cfg.kind === 'embedding' ? ['embedding'] : cfg.thinking ? ['completion', 'tools', 'thinking'] : ['completion', 'tools'],
    modified_at: modifiedAt.replace('.000000000', ''),
  });
}

export function seedFromText(text: string): number {
  return fnv1a(text);
}
