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

/**
 * CPU time a process has used so far, user + system, in ms (0 once it is gone): the sum of its
 * threads' time on a CPU in nanoseconds (/proc/<pid>/task/<tid>/schedstat) where the kernel
 * keeps it, else utime + stime. A step of 128 short requests costs a relay about ten 10 ms clock
 * ticks, so counted in ticks a per-request figure moved by a tenth from rounding alone.
 */
export function cpuMs(pid: number): number {
  const precise = threadsOnCpuMs(pid);
  if (precise !== undefined) return precise;
  const f = statFields(pid);
  // Field 14 (utime) and 15 (stime) of proc(5), counted from 1 with pid and comm before them.
  if (!f) return 0;
  return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicksPerSec;
}

/**
 * Nanosecond CPU time of every thread a process has now (a thread that ended since the last
 * reading takes its time with it; a Node process keeps its threads). Undefined where schedstat is
 * not kept.
 */
function threadsOnCpuMs(pid: number): number | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return statFields(pid) ? undefined : 0;
  }
  let ns = 0;
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
    } catch (err) {
      // The thread ended between the listing and the read.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') continue;
      return undefined;
    }
    const v = Number(text.slice(0, text.indexOf(' ')));
    if (!Number.isFinite(v)) return undefined;
    ns += v;
  }
  return ns / 1e6;
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
