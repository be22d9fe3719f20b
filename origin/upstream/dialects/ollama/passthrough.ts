/**
 * An Ollama client's own body to an Ollama engine, and the engine's answer back as Ollama wrote
 * it, so the official clients work unchanged; the engine's token counts land in the record.
 */
import type { UpstreamConfig } from '../../../config/schema.ts';
import type { OpenedUpstream } from '../dialect.ts';
import { chargeUsage, type RequestRecord } from '../../../core/record.ts';
import type { BodyShape } from '../../../../shared/routes.ts';
import { TailWindow } from '../../../../shared/stream-tail.ts';
import { alreadyFramed, type ChunkRelay, type Emit } from '../../../stream/stream-response.ts';
import { ollamaTimings } from '../../engine-timings.ts';
import { upstreamFailures } from '../../errors.ts';
import type { Passthrough, WholeAnswer } from '../dialect.ts';

/**
 * The client's body with the engine's model name and the per-upstream defaults it did not set
 * itself (its own values always win); /api/show, metadata, takes no defaults.
 */
function passthroughBody(raw: Record<string, unknown>, upstreamModel: string, _stream: boolean, up: UpstreamConfig, shape: BodyShape): string {
  if (shape === 'none') return JSON.stringify({ ...raw, model: upstreamModel });
  const out: Record<string, unknown> = { ...raw, model: upstreamModel };
  if (out.keep_alive === undefined && up.keepAlive !== undefined) out.keep_alive = up.keepAlive;
  if (up.numCtx) {
    const opts = { ...((raw.options as Record<string, unknown> | undefined) ?? {}) };
    opts.num_ctx ??= up.numCtx;
    out.options = opts;
  }
  return JSON.stringify(out);
}

const NEWLINE = Uint8Array.of(0x0a);
/** The final `done:true` line is small; the last few KiB of the stream (and its last line's start) hold it. */
const TAIL_BYTES = 4096;
const DONE = '"done":true';

/** Ollama's final object carries the engine's own token counts; usage and quotas are charged from them. */
function recordCounts(rec: RequestRecord, final: Parameters<typeof ollamaTimings>[0]): void {
  if (typeof final.prompt_eval_count !== 'number' && typeof final.eval_count !== 'number') return;
  chargeUsage(rec, {
    promptTokens: typeof final.prompt_eval_count === 'number' ? final.prompt_eval_count : (rec.promptTokens ?? 0),
    completionTokens: typeof final.eval_count === 'number' ? final.eval_count : 0,
    engine: ollamaTimings(final),
  });
}

/**
 * Raw bytes, as Ollama sent them, each read relayed as it came. Only the stream's end is kept
 * (shared/stream-tail.ts), to read the engine's counts from the last line: `"done":true` sits
 * near the start of /api/generate's final line (before a `context` that can run to megabytes)
 * and near the end of /api/chat's. On failure a cut-off line is ended first, so the error line
 * that follows is a line of its own for the client's parser.
 */
function relayOllama(opened: OpenedUpstream, emit: Emit, { rec }: { rec: RequestRecord }): ChunkRelay {
  let lineOpen = false;
  const tail = new TailWindow('ndjson', TAIL_BYTES);
  return {
    chunk(chunk) {
      if (chunk.length === 0) return false;
      lineOpen = chunk[chunk.length - 1] !== 0x0a;
      tail.push(chunk);
      emit(chunk);
      return false;
    },
    end() {
      const text = tail.text().trimEnd();
      const last = text.slice(text.lastIndexOf('\n') + 1);
      if (last.includes(DONE)) {
        try {
          recordCounts(rec, JSON.parse(last) as Record<string, unknown>);
        } catch {
          // A final object longer than the window (its start and end only): the counts stay the estimate.
        }
        return;
      } else if (last.includes('"error"')) {
        // Ollama failed the stream with its own error line, already relayed: the request failed.
        let message: unknown;
        try {
          message = (JSON.parse(last) as { error?: unknown }).error;
        } catch {
          // Not a whole error object: nothing more to say about it.
        }
        if (typeof message === 'string') throw alreadyFramed(upstreamFailures.midStream(opened.upstream.name, message));
      }
      // Neither a done line nor an error: Ollama ends a 200 like this when it aborts a prediction
      // (token-repeat limit). The client gets Ollama's error line; the record, an upstream error.
      if (lineOpen) emit(NEWLINE);
      throw upstreamFailures.truncated(opened.upstream.name);
    },
    fail(err) {
      if (lineOpen) emit(NEWLINE);
      return opened.upstream.bodyFailure(err);
    },
  };
}

/**
 * A whole (non-streamed) answer: read once, counts recorded, bytes returned unchanged. A
 * generation that never reached `done` (Ollama's token-repeat abort answers `"done":false`) is a
 * truncated upstream, not an answer.
 */
async function wholeOllama(opened: OpenedUpstream, _publicModel: string, rec: RequestRecord): Promise<WholeAnswer> {
  const type = opened.res.headers['content-type'];
  const bytes = new Uint8Array(await opened.res.body.arrayBuffer());
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    // Not JSON (should not happen on 2xx): relay it anyway; Ollama's client will say what is wrong.
  }
  if (parsed?.done === false) throw upstreamFailures.truncated(opened.upstream.name);
  if (parsed) recordCounts(rec, parsed);
  return { kind: 'bytes', bytes, status: opened.res.statusCode, contentType: typeof type === 'string' ? type : 'application/json' };
}

export const ollamaPassthrough: Passthrough = { body: passthroughBody, relay: relayOllama, whole: wholeOllama };
