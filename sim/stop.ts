/**
 * Ollama's stop sequences, as its runner applies them to the text it generates: each token's
 * piece joins the pending text; when the pending text contains a stop (the first of the list
 * that it contains), everything from the stop on is dropped and the answer ends with
 * `done_reason: "stop"`; while the pending text ends with the start of a stop it is held back.
 * The match itself never reaches the client, so a client cannot tell it from a natural end.
 */

export interface Piece {
  text: string;
  thinking: boolean;
  logprob: string | undefined;
}

export class StopFilter {
  private pending: Piece[] = [];

  constructor(private readonly stops: readonly string[]) {}

  /** One token's piece: the pieces to write now, and whether a stop ended the answer. */
  push(p: Piece): { out: Piece[]; hit: boolean } {
    this.pending.push(p);
    const text = this.pending.map((q) => q.text).join('');
    for (const stop of this.stops) {
      const at = text.indexOf(stop);
      if (at < 0) continue;
      return { out: this.truncate(at), hit: true };
    }
    if (this.stops.some((s) => endsWithStartOf(text, s))) return { out: [], hit: false };
    return { out: this.pending.splice(0), hit: false };
  }

  /** The answer ended on its own: what was held back goes out. */
  flush(): Piece[] {
    return this.pending.splice(0);
  }

  /** The pending pieces up to byte `at` of their text, the last one cut there. */
  private truncate(at: number): Piece[] {
    const out: Piece[] = [];
    let left = at;
    for (const p of this.pending) {
      if (left <= 0) break;
      if (p.text.length <= left) out.push(p);
      else out.push({ ...p, text: p.text.slice(0, left) });
      left -= p.text.length;
    }
    this.pending = [];
    return out;
  }
}

/** Whether `text` ends with a proper prefix of `stop` (the stop may still complete). */
function endsWithStartOf(text: string, stop: string): boolean {
  for (let n = Math.min(stop.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(stop.slice(0, n))) return true;
  }
  return false;
}
