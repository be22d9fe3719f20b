/**
 * The frames a V8 CPU profile (`node --cpu-prof`) spent most time in, by self time: where a
 * relay's CPU per chunk goes, printed beside the figure it explains.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './processes.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  frame: string;
  selfMs: number;
  share: number;
}

/** Self time per function (name, file, line), largest first, as a share of busy (not idle) time. */
export function topFrames(file: string, limit = 15): Frame[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const us = prof.timeDeltas[i] ?? 0;
    const cf = byId.get(id)?.callFrame;
    // Idle samples are the event loop waiting: the share is of the time the process was busy.
    if (!cf || cf.functionName === '(idle)') return;
    const where = cf.url ? `${relative(repoRoot, cf.url.replace(/^file:\/\//, ''))}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, share: total > 0 ? us / total : 0 }));
}

/** The profiles written into `dir` (one per process that exited there). */
export function profilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
}
