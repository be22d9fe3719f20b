import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Context } from 'hono';

/** The console's only script: SSE fragments into their containers, the usage chart, and Try it. */
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
  // Try it: browser -> edge -> origin with the tenant's key; nothing of it goes back to the console.
  const tryForm = document.getElementById('try-form');
  if (tryForm) {
    const $ = (id) => document.getElementById(id);
    const timingRows = (header) => {
      const body = $('try-timing').querySelector('tbody');
      body.replaceChildren();
      for (const entry of (header || '').split(',').map((x) => x.trim()).filter(Boolean)) {
        const [name, ...params] = entry.split(';').map((x) => x.trim());
        const p = Object.fromEntries(params.map((x) => { const i = x.indexOf('='); return i < 0 ? [x, ''] : [x.slice(0, i), x.slice(i + 1).replace(/^"|"$/g, '')]; }));
        const tr = document.createElement('tr');
        tr.dataset.phase = name;
        for (const v of [name, p.dur !== undefined ? p.dur + ' ms' : '', p.desc || '']) { const td = document.createElement('td'); td.textContent = v; tr.append(td); }
        body.append(tr);
      }
      if (!body.children.length) body.innerHTML = '<tr class="empty"><td colspan="3">the response carried no Server-Timing (or the edge does not expose it)</td></tr>';
    };
    tryForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = new FormData(tryForm);
      const t0 = performance.now();
      let keepalives = 0, first = true, buf = '';
      $('try-status').textContent = 'sending'; $('try-keepalives').textContent = '0'; $('try-ttft').textContent = '–'; $('try-text').textContent = '';
      try {
        const res = await fetch(tryForm.dataset.edge + '/v1/chat/completions', {
          method: 'POST', mode: 'cors', credentials: 'omit', cache: 'no-store',
          headers: { authorization: 'Bearer ' + f.get('key'), 'content-type': 'application/json' },
          body: JSON.stringify({ model: f.get('model'), stream: true, messages: [{ role: 'user', content: f.get('message') }] }),
        });
        timingRows(res.headers.get('server-timing'));
        $('try-status').textContent = res.status + (res.headers.get('x-request-id') ? ' (request ' + res.headers.get('x-request-id') + ')' : '');
        if (!res.ok || !res.body) {
          const body = await res.text();
          let msg = body;
          try { msg = JSON.parse(body).error.message; } catch {}
          $('try-status').textContent += ': ' + msg;
          return;
        }
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let nl;
          while ((nl = buf.indexOf('\\n')) >= 0) {
            const line = buf.slice(0, nl).replace(/\\r$/, '');
            buf = buf.slice(nl + 1);
            if (line.startsWith(':')) { $('try-keepalives').textContent = String(++keepalives); continue; }
            if (!line.startsWith('data:')) continue;
            const data = line.slice(5).trim();
            if (data === '[DONE]') continue;
            let chunk;
            try { chunk = JSON.parse(data); } catch { continue; }
            if (chunk.error) { $('try-status').textContent = 'error event: ' + (chunk.error.message || chunk.error.type || 'unknown'); continue; }
            const text = chunk.choices && chunk.choices[0] && chunk.choices[0].delta && chunk.choices[0].delta.content;
            if (!text) continue;
            if (first) { first = false; $('try-ttft').textContent = Math.round(performance.now() - t0) + ' ms'; $('try-ttft').dataset.ms = String(performance.now() - t0); }
            $('try-text').textContent += text;
          }
        }
        $('try-status').textContent += ', done in ' + Math.round(performance.now() - t0) + ' ms';
        $('try-status').dataset.done = 'true';
      } catch (err) {
        $('try-status').textContent = 'failed: ' + err.message + ' (is the console origin on the edge CORS_ALLOWED_ORIGINS list?)';
      }
    });
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
#try-form label{display:grid;gap:.2rem}#try-form textarea{font:inherit}#try-text{white-space:pre-wrap}
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
