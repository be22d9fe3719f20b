const DAY_MS = 86_400_000;

let cachedStart = -1;
let cachedKey = '';

/** UTC day of `now` as YYYY-MM-DD; cached so the hot path formats a date once a day. */
export function dayOf(now: number): string {
  if (now >= cachedStart && now < cachedStart + DAY_MS) return cachedKey;
  cachedStart = now - (now % DAY_MS);
  cachedKey = new Date(cachedStart).toISOString().slice(0, 10);
  return cachedKey;
}

export function msToNextDay(now: number): number {
  return DAY_MS - (now % DAY_MS);
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Every day from `from` to `to` inclusive (at most `max`, so a typo cannot scan years). */
export function daysBetween(from: string, to: string, max = 366): string[] {
  if (!DAY_RE.test(from) || !DAY_RE.test(to)) throw new Error(`days must be YYYY-MM-DD (got from=${from}, to=${to})`);
  const a = Date.parse(`${from}T00:00:00Z`);
  const b = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(a) || Number.isNaN(b)) throw new Error(`not a calendar day: from=${from}, to=${to}`);
  if (b < a) throw new Error(`'to' (${to}) is before 'from' (${from})`);
  const out: string[] = [];
  for (let t = a; t <= b && out.length < max; t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
