/**
 * What a process costs, read from /proc (Linux): CPU time (utime + stime) and resident memory,
 * for one process or a group (nginx's master and workers). Benchmarks read these before and after
 * a step and divide by the work done, so the figure is per chunk or per stream, not per second.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (`getconf CLK_TCK`, 100 on Linux). */
export const clockTicksPerSec: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** The fields after the command name, which may itself hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time a process has used so far, user + system, in ms (0 once it is gone). */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  // Field 14 (utime) and 15 (stime) of proc(5), counted from 1 with pid and comm before them.
  if (!f) return 0;
  return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicksPerSec;
}

/** Resident set size in bytes (0 once the process is gone). */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The process and its direct children (nginx: master and workers), found by parent pid. */
export function withChildren(pid: number): number[] {
  const out = [pid];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f && Number(f[1]) === pid) out.push(Number(name));
  }
  return out;
}

export const sum = (pids: readonly number[], f: (pid: number) => number): number => pids.reduce((a, p) => a + f(p), 0);

/** Busy and total jiffies of the whole machine (first line of /proc/stat): busy share over a step. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  // idle + iowait are not busy.
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
}
