import { spawnSync } from 'node:child_process';

/** Whether a command exists on PATH (promtool, systemd-analyze are Debian packages, not npm). */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** puerta_* metric names used in PromQL text, with histogram suffixes removed. */
export function metricNamesIn(promql: string): string[] {
  const names = new Set<string>();
  for (const m of promql.matchAll(/\bpuerta_[a-z0-9_]+/g)) names.add(m[0].replace(/_(bucket|sum|count)$/, ''));
  return [...names];
}
