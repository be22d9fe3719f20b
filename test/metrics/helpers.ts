/** Parses Prometheus text format into `name{labels}` → value (enough for assertions). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum of every series of `name` whose label string contains each of `match`. */
export function sumOf(m: Map<string, number>, name: string, ...match: string[]): number {
  let s = 0;
  for (const [k, v] of m) {
    const bare = k.split('{')[0];
    if (bare === name && match.every((x) => k.includes(x))) s += v;
  }
  return s;
}

export async function scrape(url: string, token?: string): Promise<Map<string, number>> {
  const res = await fetch(url + '/metrics', token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}
