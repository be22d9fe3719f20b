import { DONE_FRAME } from '../../../../shared/sse.ts';
import type { OpenedUpstream } from '../dialect.ts';
import { chargeUsage, type RequestRecord } from '../../../core/record.ts';
import type { ChunkRelay, Emit } from '../../../stream/stream-response.ts';
import { openAiTimings } from '../../engine-timings.ts';
import { upstreamFailures } from '../../errors.ts';
import type { WholeAnswer } from '../dialect.ts';
import { chunkError, OpenAiSseReader, parseChunk, type WireChunk } from './sse-chunks.ts';

const encoder = new TextEncoder();
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Whether `data` has `"key":` followed by an object. A string value cannot contain `"key"`
 * unescaped, so a miss is certain; a hit is confirmed by parsing.
 */
function hasObjectField(data: string, key: string): boolean {
  let at = data.indexOf(key);
  while (at !== -1) {
    let i = at + key.length;
    while (data.charCodeAt(i) === 0x20) i++;
    if (data.charCodeAt(i) === 0x3a) {
      i++;
      while (data.charCodeAt(i) === 0x20) i++;
      if (data.charCodeAt(i) === OPEN_BRACE || data.charCodeAt(i) === 0x22) return true;
    }
    at = data.indexOf(key, at + key.length);
  }
  return false;
}

/**
 * An OpenAI-compatible engine's SSE → an OpenAI client, read by read, each event's data relayed
 * as `data: …` without being parsed: only the usage chunk is (tokens are accounted from the
 * engine's own counts, so the upstream is always asked for it; it is dropped again when the
 * client did not ask), and an event that says `"error"` or does not look like a JSON object.
 * A read of nothing but plain token frames (the usual read) is relayed as the engine's own bytes,
 * not decoded at all: they are what the relay would write (OpenAiSseReader.passes).
 */
export function relayOpenAi(opened: OpenedUpstream, emit: Emit, { includeUsage, rec }: { includeUsage: boolean; rec: RequestRecord }): ChunkRelay {
  const name = opened.upstream.name;
  const sse = new OpenAiSseReader(name);
  // The SSE text of the read being relayed: one encode and one frame per read.
  let out = '';
  const onData = (data: string): void => {
    const n = data.length;
    if (n === 0 || data.charCodeAt(0) !== OPEN_BRACE || data.charCodeAt(n - 1) !== CLOSE_BRACE) parseChunk(data, name);
    if (hasObjectField(data, '"error"')) {
      const chunk = parseChunk(data, name);
      if (chunk.error) throw chunkError(name, data, chunk);
    }
    if (hasObjectField(data, '"usage"')) {
      const chunk = parseChunk(data, name);
      if (chunk.usage) {
        chargeUsage(rec, { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0, engine: openAiTimings(chunk) });
        if (!includeUsage && Array.isArray(chunk.choices) && chunk.choices.length === 0) return;
      }
    }
    out += 'data: ' + data + '\n\n';
  };
  const send = () => {
    if (out === '') return;
    emit(encoder.encode(out));
    out = '';
  };
  return {
    chunk(bytes) {
      // A read of plain token frames is what the general path below would write back, byte for byte.
      if (sse.passes(bytes)) {
        emit(bytes);
        return false;
      }
      let done: boolean;
      try {
        done = sse.push(bytes, onData);
      } finally {
        // Events before a failing one in the same read still reach the client, then the error.
        send();
      }
      if (done) emit(DONE_FRAME);
      return done;
    },
    end() {
      throw upstreamFailures.truncated(name);
    },
    fail: (err) => opened.upstream.bodyFailure(err),
  };
}

/** The engine's whole answer under the client's model name; its usage is what is charged. */
export async function wholeOpenAi(opened: OpenedUpstream, publicModel: string, rec: RequestRecord): Promise<WholeAnswer> {
  const out = (await opened.res.body.json()) as Pick<WireChunk, 'usage' | 'timings'>;
  if (out.usage) chargeUsage(rec, { promptTokens: out.usage.prompt_tokens ?? 0, completionTokens: out.usage.completion_tokens ?? 0, engine: openAiTimings(out) });
  return { kind: 'json', value: { ...out, model: publicModel } };
}
