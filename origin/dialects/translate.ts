import { chargeUsage, type RequestRecord } from '../core/record.ts';
import type { ChunkRelay, Emit } from '../stream/stream-response.ts';
import type { StreamWriter } from './client/dialect.ts';
import type { GenerationEvent } from '../core/generation.ts';
import { matchStops } from './stop-sequences.ts';
import type { EventDecoder } from '../upstream/dialects/dialect.ts';
import type { PuertaError } from '../../shared/errors.ts';

/** The stream's relay when the engine's own answer is the client's: one object (and its event callback) per stream. */
class Translation implements ChunkRelay {
  constructor(
    private readonly decoder: EventDecoder,
    private readonly writer: StreamWriter,
    private readonly emit: Emit,
    private readonly rec: RequestRecord,
  ) {}

  readonly on = (ev: GenerationEvent): void => {
    if (ev.type === 'done') chargeUsage(this.rec, ev.usage);
    const out = this.writer.write(ev);
    if (out === undefined) return;
    const { emit } = this;
    if (out instanceof Uint8Array) emit(out);
    else for (let i = 0; i < out.length; i++) emit(out[i]!);
  };

  chunk(bytes: Uint8Array): boolean {
    return this.decoder.chunk(bytes, this.on);
  }

  end(): void {
    this.decoder.end(this.on);
  }

  fail(err: unknown): PuertaError {
    return this.decoder.fail(err);
  }
}

/**
 * The engine's stream in the client's wire, read by read: the upstream dialect decodes each read
 * into events, the client dialect's writer turns each event into frames, synchronously; the
 * engine's token counts land in the record with the `done` event. With `stops`, the origin
 * matches the stop sequences itself: the answer is whole at the first match, and `onHit` is
 * told so that the engine, still generating, can be stopped.
 */
export function translate(decoder: EventDecoder, writer: StreamWriter, emit: Emit, rec: RequestRecord, stops?: { sequences: string[]; promptEstimate: number; onHit(): void }): ChunkRelay {
  const t = new Translation(decoder, writer, emit, rec);
  if (!stops) return t;
  const match = matchStops(stops.sequences, t.on, stops.promptEstimate);
  return {
    chunk(bytes) {
      const whole = decoder.chunk(bytes, match.on);
      if (!match.hit()) return whole;
      stops.onHit();
      return true;
    },
    end: () => decoder.end(match.on),
    fail: (err) => decoder.fail(err),
  };
}
