import { randomHex } from './random-hex.ts';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus ones a proxy must recompute; never forwarded either way. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'host',
]);

/** Headers Puerta uses between its own hops; stripped from what clients send and what they get. */
export const INTERNAL_HEADER_PREFIX = 'x-puerta-';

export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{8,128}$/;

/** Accepts a caller's request id only when it is safe to log and echo; otherwise mints one. */
export function requestIdFrom(incoming: string | null | undefined): string {
  if (incoming && REQUEST_ID_RE.test(incoming)) return incoming;
  return 'req_' + randomHex();
}
