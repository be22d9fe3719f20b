import type { HonoRequest } from 'hono';

const utf8 = new TextDecoder();

/**
 * After a middleware read the body as bytes (the edge signature's digest), later readers ask for
 * text (requestFacts, readJson). Hono would make each of them a fresh Response around the cached
 * bytes (headers, a body stream, several promise turns) and keep none of the results; here the
 * text is decoded from the same bytes once, on the first ask, as Response.text() decodes it
 * (UTF-8, a leading byte-order mark dropped, bad sequences replaced). Bytes nobody reads as text
 * (an upload) are never decoded.
 */
export function cacheBodyText(req: HonoRequest, bytes: Uint8Array): void {
  let text: Promise<string> | undefined;
  Object.defineProperty(req.bodyCache, 'text', {
    configurable: true,
    enumerable: true,
    get: () => (text ??= Promise.resolve(utf8.decode(bytes))),
    set: (v: Promise<string>) => {
      text = v;
    },
  });
}
