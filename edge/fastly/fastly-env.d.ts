/**
 * The subset of @fastly/js-compute this adapter uses, declared here instead of
 * `/// <reference types="@fastly/js-compute" />`: those types replace DOM globals (Request,
 * ReadableStream, BodyInit) for the whole program, which would break type checking of the Node
 * origin in the same tsconfig. `tsconfig.edge-fastly.json` checks these files against the real
 * package types (`npm run typecheck:edge-fastly`), so this file cannot drift silently.
 */
declare module 'fastly:backend' {
  interface BackendConfiguration {
    name?: string;
    target: string;
    hostOverride?: string;
    connectTimeout?: number;
    firstByteTimeout?: number;
    betweenBytesTimeout?: number;
    useSSL?: boolean;
    sniHostname?: string;
    certificateHostname?: string;
  }
  export class Backend {
    constructor(config: BackendConfiguration);
    static exists(name: string): boolean;
    static fromName(name: string): Backend;
    toName(): string;
  }
}

declare module 'fastly:config-store' {
  export class ConfigStore {
    constructor(name: string);
    get(key: string): string | null;
  }
}

declare module 'fastly:kv-store' {
  interface KVStoreEntry {
    text(): Promise<string>;
  }
  export class KVStore {
    constructor(name: string);
    get(key: string): Promise<KVStoreEntry | null>;
    put(
      key: string,
      value: string,
      options?: { ttl?: number; mode?: 'overwrite' | 'add' | 'append' | 'prepend' },
    ): Promise<undefined>;
  }
}

declare module 'fastly:secret-store' {
  interface SecretStoreEntry {
    plaintext(): string;
  }
  export class SecretStore {
    constructor(name: string);
    get(key: string): Promise<SecretStoreEntry | null>;
  }
}

declare module 'fastly:edge-rate-limiter' {
  export class RateCounter {
    constructor(name: string);
    lookupCount(entry: string, duration: 10 | 20 | 30 | 40 | 50 | 60): number;
  }
  export class PenaltyBox {
    constructor(name: string);
  }
  export class EdgeRateLimiter {
    constructor(rateCounter: RateCounter, penaltyBox: PenaltyBox);
    checkRate(entry: string, delta: number, window: 1 | 10 | 60, limit: number, timeToLive: number): boolean;
  }
}

declare module 'fastly:env' {
  export function env(name: string): string | undefined;
}

interface FastlyGeo {
  country_code: string | null;
}

interface FetchEvent {
  readonly request: Request;
  readonly client: { readonly address: string; readonly geo: FastlyGeo | null };
  respondWith(response: Response | PromiseLike<Response>): void;
  waitUntil(promise: Promise<unknown>): void;
}

interface RequestInit {
  /** Fastly: the named or dynamic backend this request goes to. */
  backend?: string | import('fastly:backend').Backend;
}
