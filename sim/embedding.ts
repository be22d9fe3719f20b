import { fnv1a, mulberry32 } from './text.ts';

/**
 * Stop words of Spanish and English: they carry no topic, and without them the hashed features
 * below are dominated by "de", "la", "the".
 */
const STOP = new Set(
  (
    'de la el los las un una unos unas y o u e a al del en con por para sin sobre entre hasta desde que se su sus lo le les me te nos mi tu es son ser fue era esta este esto estos estas ese esa eso como mas pero si no ya muy cuando donde quien cual hay ha han tiene puede ' +
    'the a an and or of to in on at for with by from as is are was were be been it its this that these those not no but if then than so do does did can could will would should has have had you your we our they their he she his her i'
  ).split(' '),
);

function addFeature(v: Float64Array, key: string, weight: number): void {
  const h = fnv1a(key);
  const i = h % v.length;
  v[i] = (v[i] as number) + ((h & 0x80000000) !== 0 ? -weight : weight);
}

/**
 * A deterministic embedding in which texts that share words are near each other: hashed words,
 * word stems (first 5 letters, so "configurar" meets "configuración") and character trigrams,
 * accent- and case-folded, L2-normalised. A real model's vectors capture meaning; these capture
 * vocabulary, which is what retrieval tests need to be meaningful (relevant passages score high,
 * unrelated ones near 0, near-identical ones near 1). Text without any such feature (empty, only
 * stop words or symbols) gets a fixed pseudo-random unit vector, as before.
 */
export function embedVector(input: string, dim: number): Float64Array {
  const v = new Float64Array(dim);
  const folded = input.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
  let features = 0;
  for (const m of folded.matchAll(/[\p{L}\p{N}]+/gu)) {
    const w = m[0];
    if (w.length < 2 || STOP.has(w)) continue;
    features++;
    addFeature(v, `w:${w}`, 1);
    if (w.length > 5) addFeature(v, `s:${w.slice(0, 5)}`, 0.7);
    const padded = ` ${w} `;
    const grams = padded.length - 2;
    const gw = 0.6 / Math.sqrt(grams);
    for (let i = 0; i < grams; i++) addFeature(v, `g:${padded.slice(i, i + 3)}`, gw);
  }
  if (features === 0) {
    const rnd = mulberry32(fnv1a(input));
    for (let i = 0; i < dim; i++) v[i] = rnd() * 2 - 1;
  }
  let sum = 0;
  for (let i = 0; i < dim; i++) sum += (v[i] as number) ** 2;
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < dim; i++) v[i] = (v[i] as number) * inv;
  return v;
}
