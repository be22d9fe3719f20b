/**
 * Line charts as SVG, drawn by hand: no plotting library, so what a plot shows is exactly what
 * this file says. Concurrency sweeps are doubling series, so x goes log2 when all x are positive
 * and spread over more than a factor of 4.
 */
export interface Series {
  name: string;
  points: Array<[number, number]>;
  dashed?: boolean;
  /** Index into the palette; series of one run share a colour. */
  color?: number;
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 960;
const H = 560;
const M = { left: 90, right: 30, top: 70, bottom: 70 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 1, 2, 5 × 10^k steps giving about `count` ticks from 0 to at least max. */
export function niceTicks(max: number, count = 6): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(+v.toFixed(10));
  if (ticks[ticks.length - 1]! < max) ticks.push(+(ticks[ticks.length - 1]! + step).toFixed(10));
  return ticks;
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 10_000) return `${+(v / 1000).toFixed(1)}k`;
  if (Math.abs(v) >= 100) return String(Math.round(v));
  return String(+v.toFixed(2));
}

export function lineChart(spec: ChartSpec): string {
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = [...new Set(pts.map(([x]) => x))].sort((a, b) => a - b);
  const xMin = xs[0] ?? 0;
  const xMax = xs[xs.length - 1] ?? 1;
  const log = xMin > 0 && xMax / xMin > 4;
  const fx = (x: number) => (log ? Math.log2(x) : x);
  const [lo, hi] = xMin === xMax ? [fx(xMin) - 1, fx(xMax) + 1] : [fx(xMin), fx(xMax)];
  const yTicks = niceTicks(Math.max(0, ...pts.map(([, y]) => y)));
  const yMax = yTicks[yTicks.length - 1]!;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number) => M.left + ((fx(x) - lo) / (hi - lo)) * pw;
  const py = (y: number) => M.top + ph - (y / yMax) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="32" font-size="20" font-weight="bold" fill="#222">${esc(spec.title)}</text>`);
  if (spec.subtitle) out.push(`<text x="${M.left}" y="54" font-size="13" fill="#666">${esc(spec.subtitle)}</text>`);
  // Grid and y axis.
  for (const t of yTicks) {
    const y = py(t);
    out.push(`<line x1="${M.left}" y1="${y}" x2="${W - M.right}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 10}" y="${y + 4}" font-size="13" text-anchor="end" fill="#444">${fmtTick(t)}</text>`);
  }
  for (const x of xs) {
    const X = px(x);
    out.push(`<line x1="${X}" y1="${M.top}" x2="${X}" y2="${M.top + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${X}" y="${M.top + ph + 22}" font-size="13" text-anchor="middle" fill="#444">${fmtTick(x)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 20}" font-size="15" text-anchor="middle" fill="#222">${esc(spec.xLabel)}${log ? ' (log scale)' : ''}</text>`);
  out.push(`<text transform="translate(24 ${M.top + ph / 2}) rotate(-90)" font-size="15" text-anchor="middle" fill="#222">${esc(spec.yLabel)}</text>`);
  // Series.
  spec.series.forEach((s, i) => {
    const color = PALETTE[(s.color ?? i) % PALETTE.length]!;
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
    if (p.length === 0) return;
    const d = p.map(([x, y], k) => `${k ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="8 5"' : ''}/>`);
    for (const [x, y] of p) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="4" fill="${s.dashed ? '#fff' : color}" stroke="${color}" stroke-width="2"/>`);
  });
  // Legend, top left inside the plot (throughput rises to the right, latency too: the left is emptier).
  const lx = M.left + 14;
  let ly = M.top + 14;
  const legendW = Math.max(...spec.series.map((s) => s.name.length)) * 7.8 + 50;
  out.push(`<rect x="${lx - 8}" y="${ly - 10}" width="${legendW}" height="${spec.series.length * 22 + 6}" fill="#ffffff" fill-opacity="0.85" stroke="#ccc"/>`);
  spec.series.forEach((s, i) => {
    const color = PALETTE[(s.color ?? i) % PALETTE.length]!;
    out.push(`<line x1="${lx}" y1="${ly + 4}" x2="${lx + 28}" y2="${ly + 4}" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="8 5"' : ''}/>`);
    out.push(`<text x="${lx + 36}" y="${ly + 9}" font-size="13" fill="#222">${esc(s.name)}</text>`);
    ly += 22;
  });
  out.push('</svg>');
  return out.join('\n');
}
