import type { Context } from 'hono';
import type { z } from 'zod';
import { ollamaModelRequestSchema, ollamaShowRequestSchema } from '../../shared/schemas/ollama.ts';
import { readJson } from '../http/read-json.ts';
import type { OriginDeps } from '../pipeline/deps.ts';
import { streamExchange } from '../pipeline/exchange.ts';
import type { OpenedUpstream } from '../pipeline/open-upstream.ts';
import { openUpstream } from '../pipeline/open-upstream.ts';
import type { PriorityClass } from '../pipeline/admission.ts';
import type { Emit } from '../stream/stream-response.ts';
import { ndjsonFraming } from '../stream/framing.ts';
import { fromNetworkError } from '../upstream/errors.ts';
import type { UpstreamConfig } from '../config/schema.ts';
import type { OriginEnv } from '../types.ts';

const OLLAMA_ONLY = ['ollama'] as const;

/** Per-upstream defaults an Ollama client did not set itself (its own values always win). */
function withDefaults(body: Record<string, unknown>, model: string, up: UpstreamConfig, hasOptions: boolean): string {
  const out: Record<string, unknown> = { ...body, model };
  if (out.keep_alive === undefined && up.keepAlive !== undefined) out.keep_alive = up.keepAlive;
  if (hasOptions && up.numCtx) {
    const opts = { ...((body.options as Record<string, unknown> | undefined) ?? {}) };
    opts.num_ctx ??= up.numCtx;
    out.options = opts;
  }
  return JSON.stringify(out);
}

const NEWLINE = Uint8Array.of(0x0a);

/**
 * Raw bytes, as Ollama sent them. On failure a cut-off line is ended first, so the error line
 * that follows is a line of its own for the client's parser.
 */
async function relayRaw(opened: OpenedUpstream, emit: Emit, signal: AbortSignal): Promise<void> {
  let lineOpen = false;
  try {
    for await (const chunk of opened.res.body as AsyncIterable<Uint8Array>) {
      if (chunk.length === 0) continue;
      lineOpen = chunk[chunk.length - 1] !== 0x0a;
      const p = emit(chunk);
      if (p) await p;
    }
  } catch (err) {
    if (signal.aborted) throw err;
    if (lineOpen) await emit(NEWLINE);
    throw fromNetworkError(err, opened.upstream.name, 'body', opened.upstream.cfg.idleTimeoutMs);
  }
}

function passResponse(opened: OpenedUpstream, requestId: string): Response {
  const type = opened.res.headers['content-type'];
  return new Response(opened.res.body as unknown as ReadableStream, {
    status: opened.res.status,
    headers: { 'content-type': typeof type === 'string' ? type : 'application/json', 'x-request-id': requestId },
  });
}

/**
 * `POST /api/chat|generate|embed|embeddings|show`: routed by model to an Ollama upstream and
 * relayed as Ollama wrote it, so the official clients work unchanged.
 */
export function nativeModelRoute(
  deps: OriginDeps,
  path: string,
  opts: { streams: boolean; priority: PriorityClass; show?: boolean; options?: boolean },
) {
  const schema: z.ZodType<{ model: string; stream?: boolean } & Record<string, unknown>> = opts.show ? ollamaShowRequestSchema : ollamaModelRequestSchema;
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const body = await readJson(c, schema);
    const rec = c.get('record');
    rec.publicModel = body.model;
    const open = {
      model: body.model,
      priority: opts.priority,
      kinds: OLLAMA_ONLY,
      build: (t: { upstream: { cfg: UpstreamConfig }; upstreamModel: string }) => ({
        method: 'POST' as const,
        path,
        body: opts.show ? JSON.stringify({ ...body, model: t.upstreamModel }) : withDefaults(body, t.upstreamModel, t.upstream.cfg, opts.options ?? true),
      }),
    };
    if (opts.streams && body.stream !== false) {
      return streamExchange(c, deps, { ...open, framing: ndjsonFraming, relay: relayRaw });
    }
    const opened = await openUpstream(deps, rec, open, c.req.raw.signal);
    rec.firstByteAt = Date.now();
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        opened.release();
      }
    };
    opened.res.body.once('close', release);
    opened.res.body.once('end', release);
    return passResponse(opened, rec.requestId);
  };
}

/** `GET /api/tags` and `GET /api/ps`: the union over every Ollama upstream. */
export function nativeList(deps: OriginDeps, path: '/api/tags' | '/api/ps') {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    const ollamas = deps.registry.upstreams.filter((u) => u.kind === 'ollama');
    const results = await Promise.allSettled(
      ollamas.map((u) => u.json<{ models?: Array<{ name: string }> }>('GET', path, undefined, AbortSignal.any([c.req.raw.signal, AbortSignal.timeout(10_000)]))),
    );
    const models: Array<{ name: string }> = [];
    const seen = new Set<string>();
    let ok = 0;
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      ok++;
      for (const m of r.value.models ?? []) {
        if (!seen.has(m.name)) {
          seen.add(m.name);
          models.push(m);
        }
      }
    }
    if (ok === 0 && results.length > 0) {
      const reason = results[0]!.status === 'rejected' ? (results[0] as PromiseRejectedResult).reason : undefined;
      return c.json({ error: `no Ollama upstream answered ${path}: ${(reason as Error | undefined)?.message ?? 'unknown'}` }, 503, { 'retry-after': '5' });
    }
    return c.json({ models });
  };
}

/** `GET /api/version`: the first reachable Ollama's version (clients use it as a liveness probe). */
export function nativeVersion(deps: OriginDeps) {
  return async (c: Context<OriginEnv>): Promise<Response> => {
    let lastErr: unknown;
    for (const u of deps.registry.upstreams.filter((x) => x.kind === 'ollama')) {
      try {
        return c.json(await u.json<{ version: string }>('GET', '/api/version', undefined, AbortSignal.timeout(5_000)));
      } catch (err) {
        lastErr = err;
      }
    }
    return c.json({ error: `no Ollama upstream answered /api/version: ${(lastErr as Error | undefined)?.message ?? 'none configured'}` }, 503, { 'retry-after': '5' });
  };
}
