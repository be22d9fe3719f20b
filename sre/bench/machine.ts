/** Facts about where and against what a run happened, so a result file explains itself later. */
import { execFileSync } from 'node:child_process';
import { cpus, hostname, loadavg, platform, release, totalmem } from 'node:os';
import type { Target } from './config.ts';

export interface MachineFacts {
  hostname: string;
  os: string;
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  loadAvg: number[];
  node: string;
  gitCommit?: string;
}

export function machineFacts(cwd: string): MachineFacts {
  let gitCommit: string | undefined;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // Not a checkout: the fact is simply absent.
  }
  const c = cpus();
  return {
    hostname: hostname(),
    os: `${platform()} ${release()}`,
    cpuModel: c[0]?.model ?? 'unknown',
    cpuCount: c.length,
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    loadAvg: loadavg().map((v) => +v.toFixed(2)),
    node: process.version,
    ...(gitCommit ? { gitCommit } : {}),
  };
}

/** What the endpoint says about itself (Ollama /api/version, or the OpenAI model list). */
export async function describeTarget(t: Target): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = t.apiKey ? { authorization: `Bearer ${t.apiKey}` } : {};
  const get = async (p: string) => {
    const r = await fetch(new URL(p, t.url), { headers, signal: AbortSignal.timeout(3000) });
    return r.ok ? ((await r.json()) as Record<string, unknown>) : { status: r.status };
  };
  try {
    if (t.api === 'ollama') return { name: t.name, url: t.url, api: t.api, version: await get('/api/version') };
    const models = (await get('/v1/models')) as { data?: Array<{ id: string }> };
    return { name: t.name, url: t.url, api: t.api, models: models.data?.map((m) => m.id) ?? models };
  } catch (e) {
    return { name: t.name, url: t.url, api: t.api, unreachable: (e as Error).message };
  }
}
