import { readFileSync, readlinkSync } from 'node:fs';

/**
 * CPU time of one thread, for the per-document budget of the document workers. Node 20 has no
 * per-thread CPU clock, so it is read from Linux's /proc: a worker learns its own kernel thread id
 * from /proc/thread-self, and the pool reads that thread's utime + stime from
 * /proc/self/task/<tid>/stat. Elsewhere both answer undefined and the pool counts wall-clock time
 * instead (docs/retrieval.md).
 */

/** USER_HZ: the unit of utime and stime in /proc, 100 on every Linux Node runs on. */
const TICKS_PER_SECOND = 100;

/** The kernel's id of the calling thread, or undefined without /proc. */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU time (ms) a thread of this process has used, or undefined once it is gone. */
export function threadCpuMs(tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields 14 and 15 of proc(5); the command name before them may hold spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}
