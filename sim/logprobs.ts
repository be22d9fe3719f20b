import { goString } from './json.ts';
import { mulberry32 } from './text.ts';

/**
 * Log probabilities for each generated token, in Ollama's `api.Logprob` JSON (token, logprob,
 * bytes, top_logprobs). The chosen token is the most likely one; the alternatives share what is
 * left of the probability mass, most likely first, as a sampler's top-k list reads.
 */
const alternatives = [' the', ' a', ',', '.', ' and', ' de', ' la', ' que', ' model', ' región', ' 🙂'];

/** Rounded to 6 decimals: keeps the numbers in the range where JS and Go print floats alike. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function bytesOf(token: string): string {
  return token === '' ? '' : `,"bytes":[${Buffer.from(token, 'utf8').join(',')}]`;
}

function entry(token: string, logprob: number): string {
  return `{"token":${goString(token)},"logprob":${round(logprob)}${bytesOf(token)}`;
}

export class LogprobSource {
  private readonly rnd: () => number;

  constructor(seed: number, private readonly top: number) {
    this.rnd = mulberry32(seed ^ 0x2545f491);
  }

  /** One api.Logprob object as JSON. */
  next(token: string): string {
    const p = 0.35 + this.rnd() * 0.64;
    let s = entry(token, Math.log(p));
    if (this.top > 0) {
      s += `,"top_logprobs":[${entry(token, Math.log(p))}}`;
      let left = 1 - p;
      for (let k = 1; k < this.top; k++) {
        const share = left * (0.3 + this.rnd() * 0.5);
        left -= share;
        s += `,${entry(alternatives[(k - 1) % alternatives.length] as string, Math.log(Math.max(share, 1e-4)))}}`;
      }
      s += ']';
    }
    return `${s}}`;
  }
}
