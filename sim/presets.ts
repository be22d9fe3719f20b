import type { ModelConfig, SimOptions } from './types.ts';

/**
 * Models with timing from the published DGX Spark figures in docs/upstream-protocol.md.
 * computeWeight is chosen so aggregate throughput flattens where the figures say it does:
 * gpt-oss-20b degrades beyond ~11 concurrent requests (weight 1/11), gpt-oss-120b output
 * throughput flattens at ~75 tok/s (41 tok/s single stream / 75 ≈ 0.55).
 */
const gptOss20b: ModelConfig = {
  name: 'gpt-oss:20b',
  kind: 'chat',
  family: 'gptoss',
  parameterSize: '20.9B',
  quantization: 'MXFP4',
  sizeBytes: 13_780_173_839,
  contextLength: 131_072,
  prefillTokensPerSec: 2050,
  decodeTokensPerSec: 50,
  baseLatencyMs: 120,
  numParallel: 4,
  loadMs: 10_000,
  computeWeight: 1 / 11,
  embeddingDim: 2880,
  thinking: true,
  toolCallParser: 'harmony',
  outputTokens: [50, 250],
};

const gptOss120b: ModelConfig = {
  name: 'gpt-oss:120b',
  kind: 'chat',
  family: 'gptoss',
  parameterSize: '116.8B',
  quantization: 'MXFP4',
  sizeBytes: 65_290_180_950,
  contextLength: 131_072,
  prefillTokensPerSec: 1170,
  decodeTokensPerSec: 41,
  baseLatencyMs: 250,
  numParallel: 2,
  loadMs: 35_000,
  computeWeight: 0.55,
  embeddingDim: 2880,
  thinking: true,
  toolCallParser: 'harmony',
  outputTokens: [50, 250],
};

/** Embedding batches are prefill-only and compute-bound, so each one takes a large GPU share. */
const nomicEmbed: ModelConfig = {
  name: 'nomic-embed-text:latest',
  kind: 'embedding',
  family: 'nomic-bert',
  parameterSize: '137M',
  quantization: 'F16',
  sizeBytes: 274_302_450,
  contextLength: 2048,
  prefillTokensPerSec: 9000,
  decodeTokensPerSec: 0,
  baseLatencyMs: 15,
  numParallel: 4,
  loadMs: 1000,
  computeWeight: 0.5,
  embeddingDim: 768,
  thinking: false,
  outputTokens: [0, 0],
};

const llama32: ModelConfig = {
  name: 'llama3.2:3b',
  kind: 'chat',
  family: 'llama',
  parameterSize: '3.2B',
  quantization: 'Q4_K_M',
  sizeBytes: 2_019_393_189,
  contextLength: 131_072,
  prefillTokensPerSec: 6000,
  decodeTokensPerSec: 110,
  baseLatencyMs: 40,
  numParallel: 4,
  loadMs: 3000,
  computeWeight: 0.05,
  embeddingDim: 3072,
  thinking: false,
  outputTokens: [40, 200],
};

export const presets = {
  'gpt-oss-20b': gptOss20b,
  'gpt-oss-120b': gptOss120b,
  'nomic-embed-text': nomicEmbed,
  'llama3.2-3b': llama32,
} as const satisfies Record<string, ModelConfig>;
export type PresetName = keyof typeof presets;

export const defaultModels = (): ModelConfig[] => Object.values(presets).map((m) => ({ ...m }));

export const defaultOptions = (): SimOptions => ({
  port: 0,
  host: '127.0.0.1',
  models: defaultModels(),
  timeScale: 1,
  maxQueue: 512,
  maxLoadedModels: 3,
  defaultKeepAliveMs: 5 * 60_000,
  preloaded: [],
  boxCapacity: 1,
  hostCheck: false,
  seed: 1,
  faults: {},
  faultStallMs: 0,
  faultSlowFirstByteMs: 2000,
  version: '0.17.4',
});
