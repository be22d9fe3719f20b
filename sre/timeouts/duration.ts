/** Durations as people write them in these configs: plain ms numbers, "45s", Go durations ("5m", "1h30m"). */

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go duration ("5m", "1h30m", "300ms") or a bare number. A bare number is in `bareUnit`
 * because each source differs: Ollama's env takes seconds, Puerta's config takes milliseconds.
 */
export function parseDuration(value: string | number, bareUnit: 'ms' | 's' = 'ms'): number {
  if (typeof value === 'number') return bareUnit === 's' ? value * 1000 : value;
  const v = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v) * (bareUnit === 's' ? 1000 : 1);
  let total = 0;
  let rest = v;
  const re = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) throw new Error(`cannot read duration ${JSON.stringify(value)}: use a number or a Go duration such as 45s, 5m, 1h30m`);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** Human-readable: "450 ms", "45 s", "10 min", "1 h 30 min". */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return 'none';
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}
