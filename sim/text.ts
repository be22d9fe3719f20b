/**
 * Deterministic stand-ins for the model: a tokenizer that counts, prose that streams, vectors that
 * embed. Output must exercise UTF-8 handling downstream, so the prose is full of accented letters
 * and emoji, and words are sometimes split at a multi-byte character like a BPE tokenizer would.
 */

export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Small fast PRNG: deterministic per seed, no allocation per draw. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tokenRe = /[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu;

/** Approximate token count: one per word, one per punctuation mark; long words count twice. */
export function countTokens(text: string): number {
  let n = 0;
  tokenRe.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = tokenRe.exec(text)) !== null) n += m[0].length > 10 ? 2 : 1;
  return n;
}

const spanishHints = /[ñ¿¡]|\b(el|la|los|las|que|de|por|para|cómo|como|qué|es|una|un|hola|gracias|por favor|dónde|cuál|está|son|del|al|con|y)\b/giu;
const englishHints = /\b(the|and|is|are|what|how|why|of|to|in|for|with|please|you|this|that|can)\b/giu;

export function looksSpanish(text: string): boolean {
  const es = text.match(spanishHints)?.length ?? 0;
  const en = text.match(englishHints)?.length ?? 0;
  return es > en;
}

const es = (
  'el la los las un una de del que en y con para por como más pero también sobre según porque ' +
  'información análisis código público rápido energía corazón montaña español niño año pingüino ' +
  'vergüenza después está están será había aquí allí canción región económico política educación ' +
  'investigación tecnología solución jamás difícil fácil único último próximo número país ciudad ' +
  'mañana señal diseño compañía sueño pequeño otoño cigüeña lingüística acción opinión razón'
).split(' ');
const en = (
  'the a of and to in that for with on as is are was be this by from at it we can which ' +
  'system model request response latency throughput network region data cache memory token ' +
  'café naïve résumé façade jalapeño déjà vu coördinate piñata crème brûlée über fiancé ' +
  'quickly carefully simple detailed important different reliable careful practical clear'
).split(' ');
const esOpen = ['¿Sabías que', '¡Claro!', 'En resumen,', 'Por ejemplo,', 'Además,', 'Sin embargo,'];
const enOpen = ['In short,', 'For example,', 'Moreover,', 'However,', 'Of course!', 'Note that'];
const emoji = ['🙂', '🚀', '✨', '🌍', '📈', '👍', '🔥', '🇪🇸'];

/**
 * Streams tokens of 1–3 words. Allocation per token is one small string; state is a few numbers.
 */
export class ProseGenerator {
  private readonly rnd: () => number;
  private readonly words: string[];
  private readonly openers: string[];
  private readonly spanish: boolean;
  private sentenceLeft = 0;
  private first = true;
  private pendingTail: string | null = null;
  private question = false;

  constructor(seed: number, spanish: boolean) {
    this.rnd = mulberry32(seed);
    this.spanish = spanish;
    this.words = spanish ? es : en;
    this.openers = spanish ? esOpen : enOpen;
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.rnd() * list.length)] as T;
  }

  next(): string {
    if (this.pendingTail !== null) {
      const t = this.pendingTail;
      this.pendingTail = null;
      return t;
    }
    const lead = this.first ? '' : ' ';
    this.first = false;
    if (this.sentenceLeft <= 0) {
      this.sentenceLeft = 5 + Math.floor(this.rnd() * 10);
      this.question = this.spanish && this.rnd() < 0.2;
      if (this.question) return `${lead}¿${capital(this.pick(this.words))}`;
      if (this.rnd() < 0.3) return lead + this.pick(this.openers);
      return lead + capital(this.pick(this.words));
    }
    const n = 1 + Math.floor(this.rnd() * 3);
    let out = lead;
    for (let i = 0; i < n && this.sentenceLeft > 0; i++, this.sentenceLeft--) {
      const w = this.pick(this.words);
      // Split a word at its first non-ASCII letter half the time, so a token starts mid-word
      // with a multi-byte character (as "informaci" + "ón" does in real tokenizers).
      const cut = firstNonAscii(w);
      if (i === n - 1 && cut > 0 && this.rnd() < 0.5) {
        this.pendingTail = w.slice(cut);
        out += (i ? ' ' : '') + w.slice(0, cut);
        this.sentenceLeft--;
        return out;
      }
      out += (i ? ' ' : '') + w;
    }
    if (this.sentenceLeft <= 0) {
      out += this.question ? '?' : this.rnd() < 0.15 ? '!' : '.';
      if (this.rnd() < 0.25) out += ` ${this.pick(emoji)}`;
    }
    return out;
  }
}

function capital(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

function firstNonAscii(w: string): number {
  for (let i = 1; i < w.length; i++) if (w.charCodeAt(i) > 127) return i;
  return -1;
}
