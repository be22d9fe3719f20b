import type { Logger } from 'pino';
import type { RequestRecord } from './pipeline/record.ts';
import type { OpenSink } from './stream/sink.ts';
import type { RequestFacts } from './http/facts.ts';

/** Who is calling, as established by origin/auth (edge signature, a direct key, or nobody). */
export interface TenantContext {
  id: string;
  via: 'edge' | 'key' | 'none';
  /** ISO country of the end user, as the edge saw it. */
  country?: string;
  /** Edge point of presence that forwarded the request. */
  pop?: string;
  /**
   * The tenant's model allow-list, when the origin enforces it itself (auth.mode=keys; behind an
   * edge, the edge has enforced it already). Absent or empty: every model.
   */
  models?: readonly string[];
}

export interface OriginEnv {
  Bindings: {
    /**
     * Set by the server adapter (origin/node/server.ts): where a streamed response is written.
     * Absent (another runtime, `app.request()`): a WHATWG stream body (origin/stream/web-sink.ts).
     */
    openSink?: OpenSink;
  };
  Variables: {
    requestId: string;
    log: Logger;
    tenant: TenantContext;
    record: RequestRecord;
    /** The body as its client dialect read it, once (origin/http/request-facts.ts); route-table POSTs only. */
    facts?: RequestFacts;
  };
}
