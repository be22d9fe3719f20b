import { Pool } from 'undici';
import type { UpstreamConfig } from '../config/schema.ts';
import type { UpstreamDialect } from './dialects/dialect.ts';
import { upstreamDialect } from './dialects/index.ts';
import { dispatchRequest, type DispatchedResponse } from './dispatch-body.ts';
import type { PuertaError } from '../../shared/errors.ts';
import { fromNetworkError, fromUpstreamStatus } from './errors.ts';
import type { Cancellation } from '../core/cancellation.ts';

export type OpenedResponse = DispatchedResponse;

/**
 * The request body as bytes of its own. undici keeps the body with its request for as long as
 * the response runs (a whole stream), and the string it is given becomes a slice of Buffer's
 * shared pool there, which keeps the pool's whole 8 KiB slab (and every short-lived buffer cut
 * from it since) alive with each open stream.
 */
function ownBytes(body: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(body));
  bytes.write(body);
  return bytes;
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
  /** The URL's path prefix (an engine behind a path), parsed once rather than per request. */
  private readonly basePath: string;
  /** Requests sent and not yet finished; routing prefers the replica with the fewest. */
  outstanding = 0;
  /** Called once per request when it is over (answered, failed or let go). */
  private readonly settled = (): void => {
    this.outstanding--;
  };

  constructor(cfg: UpstreamConfig) {
    this.cfg = cfg;
    this.name = cfg.name;
    this.dialect = upstreamDialect(cfg.kind);
    const url = new URL(cfg.url);
    this.basePath = url.pathname.replace(/\/$/, '');
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
    return this.basePath + p;
  }

  /**
   * Sends a request and resolves when response headers arrive. Non-2xx answers are read and
   * thrown as client-facing errors, so callers only ever see a body they can stream.
   */
  async open(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    signal: Cancellation,
    model?: string,
  ): Promise<OpenedResponse> {
    let res: DispatchedResponse;
    this.outstanding++;
    try {
      // The body comes from undici's dispatch handler (origin/upstream/dispatch-body.ts): the
      // relay gets each read as one call, without a Readable in between.
      res = await dispatchRequest(
        this.pool,
        { method, path: this.path(path), headers: this.baseHeaders, ...(body !== undefined ? { body: ownBytes(body) } : {}) },
        signal,
        this.settled,
      );
    } catch (err) {
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
      throw fromUpstreamStatus(res.statusCode, text, this.name, model);
    }
    return res;
  }

  /** A whole JSON answer (non-streaming calls, model lists). */
  async json<T>(method: 'GET' | 'POST', path: string, body: unknown, signal: Cancellation, model?: string): Promise<T> {
    const res = await this.open(method, path, body === undefined ? undefined : JSON.stringify(body), signal, model);
    try {
      return (await res.body.json()) as T;
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      throw this.bodyFailure(err);
    }
  }

  /** A whole text answer (an engine's Prometheus /metrics). */
  async text(path: string, signal: Cancellation): Promise<string> {
    const res = await this.open('GET', path, undefined, signal);
    try {
      return await res.body.text();
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      throw this.bodyFailure(err);
    }
  }

  /** A response body that broke off (reset, between-bytes timeout), as the client-facing error. */
  bodyFailure(err: unknown): PuertaError {
    return fromNetworkError(err, this.name, 'body', this.cfg.idleTimeoutMs);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
