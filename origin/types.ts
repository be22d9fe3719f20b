import type { Logger } from 'pino';
import type { RequestRecord } from './pipeline/record.ts';

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
     * Set by the server adapter (origin/node/server.ts): ends the client's connection at once,
     * unread bytes dropped; for a client that stopped reading (stream.writeStallMs).
     */
    dropConnection?: () => void;
  };
  Variables: {
    requestId: string;
    log: Logger;
    tenant: TenantContext;
    record: RequestRecord;
  };
}
