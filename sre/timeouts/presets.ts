/**
 * Reference layouts. A preset fixes the workload (models, longest prompt and answer, the edge
 * platform); every timer comes from the shipped config files, so "the presets pass" means the
 * repository's own defaults carry these workloads. Model timing is the simulator's, which follows
 * the published DGX Spark figures (docs/upstream-protocol.md).
 */
import { presets as simModels, type PresetName } from '../../sim/presets.ts';

export interface PresetModel {
  /** Model timing from the simulator's presets, including its slots on one Spark (120b: 2, 20b: 4). */
  sim: PresetName;
  maxInputTokens: number;
  maxOutputTokens: number;
}

export interface LayoutPreset {
  name: string;
  description: string;
  platform: 'fastly' | 'workers';
  shielding: boolean;
  models: PresetModel[];
  /**
   * Queue wait limit to assume when the origin config has none; the origin's own value wins.
   * 60 s: beyond that a chat user has given up and the slot is better spent on the next request.
   */
  queueWaitMs: number;
  boxCapacity: number;
}

export const layoutPresets = {
  '120b-single': {
    name: '120b-single',
    description: 'one gpt-oss-120b on one DGX Spark behind Fastly with shielding; 8k prompt, 4k answer',
    platform: 'fastly',
    shielding: true,
    models: [{ sim: 'gpt-oss-120b', maxInputTokens: 8192, maxOutputTokens: 4096 }],
    queueWaitMs: 60_000,
    boxCapacity: 1,
  },
  '120b-20b-pair': {
    name: '120b-20b-pair',
    description: 'gpt-oss-120b + gpt-oss-20b sharing one Spark behind Fastly with shielding; 8k prompt, 4k answer',
    platform: 'fastly',
    shielding: true,
    models: [
      { sim: 'gpt-oss-120b', maxInputTokens: 8192, maxOutputTokens: 4096 },
      { sim: 'gpt-oss-20b', maxInputTokens: 8192, maxOutputTokens: 4096 },
    ],
    queueWaitMs: 60_000,
    boxCapacity: 1,
  },
  'rag-embedding-storm': {
    name: 'rag-embedding-storm',
    description: 'RAG on Cloudflare Workers: gpt-oss-20b answers 16k-token contexts while nomic-embed-text ingests at full slots',
    platform: 'workers',
    shielding: false,
    models: [
      { sim: 'gpt-oss-20b', maxInputTokens: 16_384, maxOutputTokens: 2048 },
      { sim: 'nomic-embed-text', maxInputTokens: 2048, maxOutputTokens: 0 },
    ],
    queueWaitMs: 60_000,
    boxCapacity: 1,
  },
} as const satisfies Record<string, LayoutPreset>;

export type LayoutPresetName = keyof typeof layoutPresets;
export const layoutPresetNames = Object.keys(layoutPresets) as LayoutPresetName[];

export function presetModel(m: PresetModel, upstream: string, numParallel?: number) {
  const s = simModels[m.sim];
  return {
    name: s.name,
    upstream,
    kind: s.kind,
    coldLoadMs: s.loadMs,
    prefillTokensPerSec: s.prefillTokensPerSec,
    decodeTokensPerSec: s.decodeTokensPerSec,
    numParallel: numParallel ?? s.numParallel,
    computeWeight: s.computeWeight,
    maxInputTokens: m.maxInputTokens,
    maxOutputTokens: m.maxOutputTokens,
  };
}

export const simModelName = (p: PresetName): string => simModels[p].name;
