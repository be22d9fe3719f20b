import { Pool, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/schema.ts';
import type { UpstreamDialect } from '../dialects/upstream/dialect.ts';
import { upstreamDialect } from '../dialects/upstream/index.ts';
import { fromNetworkError, fromUpstreamStatus } from './errors.ts';

export interface OpenedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/** How long the end of a finished answer (the chunked terminator) may take before the connection is dropped. */
const TAIL_GRACE_MS = 1_000;

/**
 * Lets go of an upstream body once the stream is over. After a complete answer (Ollama's done
 * line, `[DONE]`) only the body's terminator is left: it is read, so the pooled connection is
 * reused instead of a new one made for the next request. After anything else the body is
 * aborted, which closes the connection and stops the engine's generation.
 */
export function closeBody(body: OpenedResponse['body'], answered: boolean): void {
  // Aborting reports itself as an error event on the body, and the relay no longer listens:
  // unheard, it would be an uncaught exception.
  body.on('error', ignoreError);
  if (!answered || body.readableEnded) {
    body.destroy();
    return;
  }
  // A plain timer cleared when the tail is in, not AbortSignal.timeout: that one cannot be
  // cleared, so every request left a timer that later fired an abort (a DOMException and an
  // event dispatch) into a body long finished.
  const grace = setTimeout(destroyBody, TAIL_GRACE_MS, body);
  body.dump({ limit: Number.MAX_SAFE_INTEGER }).then(
    () => clearTimeout(grace),
    () => clearTimeout(grace),
  );
}

function ignoreError(): void {}

function destroyBody(body: OpenedResponse['body']): void {
  body.destroy();
}

/**
 * One HTTP connection pool per upstream. The timeouts here are the origin's hop of the chain
 * (docs/design.md "Timeouts"): connect, first byte (headers; covers the engine's own wait and a
 * model load) and between-bytes (a stalled generation is failed instead of hanging the client forever).
 */
export class UpstreamClient {
  readonly name: string;
  /** The engine's wire: everything that depends on which kind of engine this is. */
  readonly dialect: UpstreamDialect;
  readonly cfg: UpstreamConfig;
  private readonly pool: Pool;
  private readonly baseHeaders: Record<string, string>;
  /** Requests sent and not yet finished; routing prefers the replica with the fewest. */
  outstanding = 0;

  constructor(cfg: UpstreamConfig) {
    this.cfg = cfg;
    this.name = cfg.name;
    this.dialect = upstreamDialect(cfg.kind);
    const url = new URL(cfg.url);
    this.pool = new Pool(url.origin, {
      connect: { timeout: cfg.connectTimeoutMs },
      headersTimeout: cfg.firstByteTimeoutMs,
      bodyTimeout: cfg.idleTimeoutMs,
      keepAliveTimeout: cfg.poolIdleMs,
      pipelining: 1,
    });
    this.baseHeaders = { 'content-type': 'application/json', accept: '*/*', 'user-agent': 'puerta-origin' };
    if (cfg.apiKey) this.baseHeaders.authorization = `Bearer ${cfg.apiKey}`;
    if (cfg.hostHeader) this.baseHeaders.host = cfg.hostHeader;
  }

  private path(p: string): string {
    const base = new URL(this.cfg.url).pathname.replace(/\/$/, '');
    return base + p;
  }

  /**
   * Sends a request and resolves when response headers arrive. Non-2xx answers are read and
   * thrown as client-facing errors, so callers only ever see a body they can stream.
   */
  async open(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    signal: AbortSignal,
    model?: string,
  ): Promise<OpenedResponse> {
    let res: Dispatcher.ResponseData;
    this.outstanding++;
    try {
      res = await this.pool.request({
        method,
        path: this.path(path),
        headers: this.baseHeaders,
        ...(body !== undefined ? { body } : {}),
        signal,
      });
    } catch (err) {
      this.outstanding--;
      if (signal.aborted) throw signal.reason ?? err;
      throw fromNetworkError(err, this.name, 'open');
    }
    if (res.statusCode >= 400) {
      let text = '';
      try {
        text = await res.body.text();
      } catch {
        // The error body is informative only; the status already says what happened.
      }
      this.outstanding--;
      throw fromUpstreamStatus(res.statusCode, text, this.name, model);
    }
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        this.outstanding--;
      }
    };
    res.body.once('close', release);
    res.body.once('end', release);
    res.body.once('error', release);
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /** A whole JSON answer (non-streaming calls, model lists). */
  async json<T>(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal, model?: string): Promise<T> {
    const res = await this.open(method, path, body === undefined ? undefined : JSON.stringify(body), signal, model);
    try {
      return (await res.body.json()) as T;
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      throw fromNetworkError(err, this.name, 'body', this.cfg.idleTimeoutMs);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
