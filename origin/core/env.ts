import type { Logger } from 'pino';
import type { RequestRecord } from './record.ts';
import type { OpenSink } from './sink.ts';
import type { TenantContext } from './tenant.ts';
import type { RequestFacts } from './facts.ts';

export type { TenantContext } from './tenant.ts';

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
