import type { OutgoingHttpHeaders } from 'node:http';

/**
 * The headers of a streamed answer on Node: a plain record that ServerResponse.writeHead takes as
 * it is. Middleware still sets headers on the way out through the Headers methods (x-request-id,
 * server-timing, rate limits), but no WHATWG Headers is built (its name and value conversions,
 * its sorted copy on every iteration) only to be copied into Node's own record afterwards.
 * Names are kept lowercase, as Headers keeps them; set-cookie values stay separate, as Headers
 * keeps them.
 */
export class HeadRecord implements Headers {
  /** What writeHead sends; owned by this head from open() on. */
  readonly record: OutgoingHttpHeaders;

  constructor(init: Record<string, string>) {
    this.record = init;
  }

  get(name: string): string | null {
    const v = this.record[name.toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(', ') : String(v);
  }

  getSetCookie(): string[] {
    const v = this.record['set-cookie'];
    return v === undefined ? [] : Array.isArray(v) ? [...v] : [String(v)];
  }

  has(name: string): boolean {
    return this.record[name.toLowerCase()] !== undefined;
  }

  set(name: string, value: string): void {
    const key = name.toLowerCase();
    this.record[key] = key === 'set-cookie' ? [value] : value;
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const v = this.record[key];
    if (v === undefined) this.set(key, value);
    else if (key === 'set-cookie') this.record[key] = [...(Array.isArray(v) ? v : [String(v)]), value];
    else this.record[key] = `${String(v)}, ${value}`;
  }

  delete(name: string): void {
    delete this.record[name.toLowerCase()];
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }

  /** Sorted by name, set-cookie once per value, as Headers iterates. */
  *entries(): HeadersIterator<[string, string]> {
    for (const k of Object.keys(this.record).sort()) {
      const v = this.record[k]!;
      if (k === 'set-cookie' && Array.isArray(v)) for (const c of v) yield [k, c];
      else yield [k, Array.isArray(v) ? v.join(', ') : String(v)];
    }
  }

  *keys(): HeadersIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): HeadersIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): HeadersIterator<[string, string]> {
    return this.entries();
  }
}

/**
 * The answer the Node sink gives the app for a stream: a Response in type and prototype, whose
 * status and headers are plain fields and whose body is the sink's to write. Only what the app
 * reads of an answer is here (status, headers, no body); the adapter writes the head from
 * `headers.record` (origin/node/response-sink.ts takeOver).
 */
export interface SinkResponse extends Response {
  readonly headers: HeadRecord;
}

class StreamHead {
  constructor(
    readonly status: number,
    readonly headers: HeadRecord,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  get body(): null {
    return null;
  }
  get bodyUsed(): boolean {
    return false;
  }
  get redirected(): boolean {
    return false;
  }
  get statusText(): string {
    return '';
  }
  get type(): ResponseType {
    return 'default';
  }
  get url(): string {
    return '';
  }
}
// A Response's prototype (its own getters above shadow the ones that would check the brand).
Object.setPrototypeOf(StreamHead.prototype, Response.prototype);

export function sinkResponse(status: number, headers: Record<string, string>): SinkResponse {
  return new StreamHead(status, new HeadRecord(headers)) as unknown as SinkResponse;
}
