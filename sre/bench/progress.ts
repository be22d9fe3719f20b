/** A one-line progress bar on a terminal (stderr), and nothing in logs, tests and CI. */
export interface Progress {
  sample(ok: boolean): void;
  /** Stops the bar; prints `line` (to stderr) when given. */
  done(line?: string): void;
}

export function progressBar(o: { enabled: boolean; label: string; durationMs: number; maxRequests?: number }): Progress {
  const start = performance.now();
  let n = 0;
  let errors = 0;
  const render = () => {
    const elapsed = performance.now() - start;
    const frac = Math.min(1, Math.max(elapsed / o.durationMs, o.maxRequests ? n / o.maxRequests : 0));
    const width = 28;
    const fill = Math.round(frac * width);
    const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
    process.stderr.write(`\r${o.label.padEnd(22)} ${bar} ${String(Math.round(frac * 100)).padStart(3)}%  ${n} req  ${errors} err  ${(elapsed / 1000).toFixed(1)} s `);
  };
  const timer = o.enabled ? setInterval(render, 200) : undefined;
  timer?.unref();
  return {
    sample(ok) {
      n++;
      if (!ok) errors++;
    },
    done(line) {
      if (timer) {
        clearInterval(timer);
        render();
        process.stderr.write('\r\x1b[2K');
      }
      if (line) process.stderr.write(`${line}\n`);
    },
  };
}
