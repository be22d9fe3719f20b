export interface ClientPlacement {
  /** Extra request headers (workerd: Miniflare's cf blob). */
  headers?: Record<string, string>;
  /** Local address to connect from (Viceroy: geolocation is by client IP). */
  localAddress?: string;
}

export interface RunningEdge {
  runtime: 'fastly' | 'workers';
  url: string;
  /** How to make a request appear to come from a client in `country` (only DE and US are mapped). */
  clientFrom(country: 'DE' | 'US'): ClientPlacement;
  close(): Promise<void>;
}
