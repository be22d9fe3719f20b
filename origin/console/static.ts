import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Context } from 'hono';

/** The console's only script: SSE fragments into their containers, and the usage chart. */
const CONSOLE_JS = `(() => {
  for (const el of document.querySelectorAll('[data-sse]')) {
    const es = new EventSource(el.dataset.sse);
    es.addEventListener('html', (e) => { el.innerHTML = e.data; el.dataset.updated = String(Date.now()); });
    es.addEventListener('open', () => { el.dataset.live = 'open'; });
  }
  const chart = document.getElementById('usage-chart');
  const dataEl = document.getElementById('usage-data');
  if (chart && dataEl && window.uPlot) {
    const d = JSON.parse(dataEl.textContent);
    const colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563'];
    const series = [{ label: 'Day (UTC)' }].concat(d.tenants.map((t, i) => ({ label: t, stroke: colors[i % colors.length], width: 2, points: { show: true } })));
    new uPlot({ width: Math.min(900, chart.clientWidth || 900), height: 280, series, axes: [{}, { label: 'tokens' }], scales: { x: { time: true } }, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC') }, [d.days].concat(d.tokens), chart);
    chart.dataset.drawn = 'true';
  }
})();
`;

const CONSOLE_CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,sans-serif;color:#111;background:#f7f7f8}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.2rem;background:#111827;color:#fff}
header nav a{color:#cbd5e1;margin-right:1rem;text-decoration:none}header nav a.here{color:#fff;font-weight:600}
header .who{margin-left:auto}main{padding:1rem 1.2rem;max-width:1200px}h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#f1f5f9;font-weight:600}tr.empty td{color:#6b7280;font-style:italic}
form.inline{display:inline-flex;gap:.4rem;align-items:center;margin:.2rem 0}form.stack{display:grid;gap:.6rem;max-width:22rem}
input,select,button{font:inherit;padding:.25rem .45rem}button{cursor:pointer;border:1px solid #94a3b8;background:#fff;border-radius:4px}
button.danger{border-color:#dc2626;color:#b91c1c}.error{color:#b91c1c}.notice{color:#166534}.hint{color:#6b7280}
.issued{border:2px solid #16a34a;background:#f0fdf4;padding:.6rem 1rem}pre{user-select:all;white-space:pre-wrap;word-break:break-all}
.ok{color:#166534}.bad{color:#b91c1c}ul.keys{list-style:none;margin:0;padding:0}.chart{background:#fff;padding:.5rem}
small{color:#6b7280}code{font-size:.92em}tr.cut td{background:#fef2f2}input[type=number]{width:6rem}
`;

const require = createRequire(import.meta.url);
let uplotJs: string | undefined;
let uplotCss: string | undefined;

/** Versioned paths: the files never change under a path, so browsers keep them a year. */
export const UPLOT_VERSION = (require('uplot/package.json') as { version: string }).version;

function asset(c: Context, body: string, type: string, immutable: boolean): Response {
  return c.body(body, 200, {
    'content-type': type,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
}

export function staticAsset(c: Context, name: string): Response | null {
  switch (name) {
    case 'console.js':
      return asset(c, CONSOLE_JS, 'text/javascript; charset=utf-8', false);
    case 'console.css':
      return asset(c, CONSOLE_CSS, 'text/css; charset=utf-8', false);
    case `uplot-${UPLOT_VERSION}.js`:
      uplotJs ??= readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
      return asset(c, uplotJs, 'text/javascript; charset=utf-8', true);
    case `uplot-${UPLOT_VERSION}.css`:
      uplotCss ??= readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
      return asset(c, uplotCss, 'text/css; charset=utf-8', true);
    default:
      return null;
  }
}
