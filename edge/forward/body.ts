import { errors } from '../../shared/errors.ts';

/**
 * Reads a request body whole, refusing early past `limit`. The edge must hold the bytes to sign
 * their digest; request bodies (prompts) are bounded, unlike responses, which are never buffered.
 */
export async function readBody(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (req.method === 'GET' || req.method === 'HEAD' || !req.body) return null;
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw errors.payloadTooLarge(limit);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw errors.payloadTooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array<ArrayBuffer>;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/**
 * The `model` of a JSON body, when there is one; anything unparsable is left for the origin to
 * refuse. The content-type is not consulted: the origin parses every body as JSON whatever it is
 * labelled, so a label must not let a body past the tenant's allow-list. `name` is the field
 * Ollama's `/api/show` still accepts in place of `model`.
 */
export function modelOf(body: Uint8Array | null): string | null {
  if (!body || body.byteLength === 0) return null;
  try {
    const v = JSON.parse(new TextDecoder().decode(body)) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as { model?: unknown; name?: unknown };
      if (typeof o.model === 'string') return o.model;
      if (o.model === undefined && typeof o.name === 'string') return o.name;
    }
  } catch {
    /* not JSON: the origin answers 400 with the details */
  }
  return null;
}
