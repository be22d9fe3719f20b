import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
let built = false;

/** Runs scripts/build-edge.sh (a no-op in ~50 ms when nothing changed), once per test process. */
export function ensureEdgeBuilt(): void {
  if (built) return;
  const r = spawnSync('bash', [resolve(ROOT, 'scripts/build-edge.sh')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`scripts/build-edge.sh failed:\n${r.stderr.toString()}`);
  built = true;
}
