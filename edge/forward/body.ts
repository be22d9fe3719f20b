import { errors } from '../../shared/errors.ts';
import { engineShapeFor } from '../../shared/engine-shapes.ts';
import { parseJsonBody } from '../../shared/json-body.ts';
import { requestedModel } from '../../shared/model-allow-list.ts';

/**
 * Reads a request body whole, refusing past `limit`. The edge must hold the bytes to sign their
 * digest; request bodies (prompts) are bounded, unlike responses, which are never buffered.
 * Refusing does not stop reading: a client still uploading would see its connection reset before
 * it could read the 413, so the rest is read and dropped, up to `drainFactor` times the limit.
 */
const drainFactor = 4;

export async function readBody(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (req.method === 'GET' || req.method === 'HEAD' || !req.body) return null;
  const reader = req.body.getReader();
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return refuse(reader, 0, limit);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) return refuse(reader, total, limit);
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

async function refuse(reader: ReadableStreamDefaultReader<Uint8Array>, seen: number, limit: number): Promise<never> {
  let total = seen;
  try {
    while (total <= limit * drainFactor) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  throw errors.payloadTooLarge(limit);
}

/**
 * The model a body names, by the same parse and the same function as the origin's
 * (shared/json-body.ts, shared/model-allow-list.ts): a body that does not parse, nests too deep,
 * holds a key the engine could read differently (a duplicate, a case variant), or has a `model`
 * that names nothing is refused here with the origin's own 400.
 */
export function modelOf(body: Uint8Array | null, path: string): string | null {
  if (!body || body.byteLength === 0) return null;
  const json = parseJsonBody(new TextDecoder().decode(body), engineShapeFor(path));
  if (!json.ok) throw errors.badRequest(json.message, json.field ?? 'body', json.code);
  const named = requestedModel(json.value);
  if (!named.ok) throw errors.badRequest(named.message, named.field, 'invalid_model');
  return named.model;
}
