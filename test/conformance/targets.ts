/**
 * The two engines the conformance suite compares: the real Ollama server (cached build, tiny
 * models) and the simulator configured as the same box (same model names, slots, queue, keep_alive,
 * version, Host check). Every check runs the same requests against both.
 */
import { startSimulator } from '../../sim/index.ts';
import type { ModelConfig } from '../../sim/types.ts';
import { OLLAMA_VERSION, startOllama, tinyModels } from '../helpers/ollama.ts';

export interface Target {
  kind: 'ollama' | 'sim';
  url: string;
  stop(): Promise<void>;
}

export interface BoxSettings {
  numParallel?: number;
  maxQueue?: number;
  keepAlive?: string;
}

/**
 * The tiny models as the simulator serves them. Sizes, families and context match what the real
 * server reports for the GGUF files; speeds are in the range the tiny model runs at on 2 CPU
 * cores (the simulator cannot match CPU timing exactly, and no check depends on it).
 */
export function tinySimModels(numParallel: number): ModelConfig[] {
  const base = {
    // What the real server reports for these GGUF files (file type F32 reads as "unknown").
    quantization: 'unknown',
    prefillTokensPerSec: 5000,
    decodeTokensPerSec: 300,
    baseLatencyMs: 5,
    numParallel,
    loadMs: 300,
    computeWeight: 0.01,
    thinking: false,
  } as const;
  return [
    { ...base, name: tinyModels.chat, kind: 'chat', family: 'llama', parameterSize: '151K', sizeBytes: 617_376, contextLength: 8192, embeddingDim: 64, outputTokens: [8, 40] },
    { ...base, name: tinyModels.repeat, kind: 'chat', family: 'llama', parameterSize: '151K', sizeBytes: 617_376, contextLength: 8192, embeddingDim: 64, outputTokens: [8, 40] },
    { ...base, name: tinyModels.embed, kind: 'embedding', family: 'bert', parameterSize: '120K', sizeBytes: 489_408, contextLength: 512, embeddingDim: 64, outputTokens: [0, 0] },
  ];
}

export async function startTarget(kind: Target['kind'], box: BoxSettings = {}): Promise<Target> {
  if (kind === 'ollama') {
    const o = await startOllama({ numParallel: box.numParallel ?? 1, maxQueue: box.maxQueue ?? 512, keepAlive: box.keepAlive ?? '5m' });
    return { kind, url: o.url, stop: () => o.stop() };
  }
  const keepAliveMs = box.keepAlive === undefined ? 300_000 : goDurationMs(box.keepAlive);
  const sim = await startSimulator({
    models: tinySimModels(box.numParallel ?? 1),
    maxQueue: box.maxQueue ?? 512,
    defaultKeepAliveMs: keepAliveMs,
    version: OLLAMA_VERSION,
    hostCheck: true,
    timeScale: 1,
  });
  return { kind, url: sim.url, stop: () => sim.close() };
}

function goDurationMs(d: string): number {
  const m = /^(-?\d+)(ms|s|m|h)?$/.exec(d);
  if (!m) throw new Error(`keepAlive ${d}: use N, Nms, Ns, Nm or Nh`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  return Number(m[1]) * unit;
}
