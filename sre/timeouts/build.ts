/** Puts a layout together from a preset's workload and the real config files. */
import { join } from 'node:path';
import { commonClients } from './clients.ts';
import { layoutSchema, type ClientTimeout, type Layout } from './layout.ts';
import { presetModel, simModelName, type LayoutPreset } from './presets.ts';
import { readFastlyToml, readWranglerConfig } from './sources/edge.ts';
import { probeOllama, readOllamaOverride, readServiceStopTimeout } from './sources/ollama.ts';
import { describeSource, type Timer } from './timers.ts';
import { readOriginConfig } from './sources/origin.ts';

export interface BuildOptions {
  root: string;
  /** Overrides the preset's platform; `none` = clients talk to the origin directly. */
  edge?: 'fastly' | 'workers' | 'none';
  shielding?: boolean;
  fastlyToml?: string;
  fastlySection?: 'setup' | 'local';
  wrangler?: string;
  originEnv?: NodeJS.ProcessEnv;
  originFile?: string;
  /** The origin's systemd unit (TimeoutStopSec); default infra/origin/puerta-origin.service. */
  originService?: string;
  /** Systemd override file or directory of the Ollama service (default infra/ollama). */
  ollamaOverride?: string;
  /** Use the override's OLLAMA_NUM_PARALLEL as every model's slots (the deployed engine, not the reference layout). */
  slotsFromOverride?: boolean;
  /** Ask the upstream for /api/version and /api/ps. */
  probe?: boolean;
  clients?: readonly ClientTimeout[];
}

export async function buildLayout(preset: LayoutPreset, o: BuildOptions): Promise<Layout> {
  const platform = o.edge ?? preset.platform;
  const edgeTimers =
    platform === 'none'
      ? null
      : platform === 'fastly'
        ? readFastlyToml(o.fastlyToml ?? join(o.root, 'fastly.toml'), o.fastlySection ?? 'setup')
        : readWranglerConfig(o.wrangler ?? join(o.root, 'infra/wrangler.toml'));
  const origin = readOriginConfig({ env: o.originEnv ?? process.env, ...(o.originFile ? { file: o.originFile } : {}) });
  const ollama = readOllamaOverride(o.ollamaOverride ?? join(o.root, 'infra/ollama'));
  const firstUpstream = origin.upstreams[0]!;
  const probe = o.probe ? await probeOllama(firstUpstream.url) : undefined;
  const stop = readServiceStopTimeout(o.originService ?? join(o.root, 'infra/origin/puerta-origin.service'));
  const hopOf = { connectTimeoutMs: 'edge → origin', firstByteTimeoutMs: 'edge → origin', betweenBytesTimeoutMs: 'edge → origin' } as const;
  const bounds = { connectTimeoutMs: 'TCP/TLS connect to the origin', firstByteTimeoutMs: 'origin response headers', betweenBytesTimeoutMs: 'silence between origin bytes' } as const;
  const edgeKey = { connectTimeoutMs: 'CONNECT_TIMEOUT_MS', firstByteTimeoutMs: 'FIRST_BYTE_TIMEOUT_MS', betweenBytesTimeoutMs: 'BETWEEN_BYTES_TIMEOUT_MS' } as const;
  const timers: Timer[] = [
    ...(edgeTimers
      ? (['connectTimeoutMs', 'firstByteTimeoutMs', 'betweenBytesTimeoutMs'] as const).map((k) => ({
          hop: hopOf[k],
          setting: `${edgeTimers.platform} ${edgeKey[k]}`,
          valueMs: edgeTimers[k],
          bounds: bounds[k],
          source: describeSource(edgeTimers.sources[k]),
        }))
      : []),
    ...origin.timers,
    ...(stop ? [{ hop: 'origin', setting: 'systemd TimeoutStopSec', valueMs: stop.ms, bounds: 'SIGTERM to SIGKILL', source: stop.source }] : []),
    ...(ollama?.timers ?? []),
  ];
  return layoutSchema.parse({
    name: preset.name,
    description: preset.description,
    edge: edgeTimers && {
      platform: edgeTimers.platform,
      shielding: o.shielding ?? (edgeTimers.platform === 'fastly' && preset.shielding),
      connectTimeoutMs: edgeTimers.connectTimeoutMs,
      firstByteTimeoutMs: edgeTimers.firstByteTimeoutMs,
      betweenBytesTimeoutMs: edgeTimers.betweenBytesTimeoutMs,
      source: edgeTimers.source,
    },
    origin: {
      keepaliveMs: origin.keepaliveMs,
      queueWaitMs: origin.queueWaitMs ?? preset.queueWaitMs,
      queueWaitSource: origin.queueWaitField
        ? `origin ${origin.queueWaitField}`
        : `assumed ${preset.name} preset value: admission.mode is off, so nothing bounds the wait`,
      upstreams: origin.upstreams,
      shutdownGraceMs: origin.shutdownGraceMs,
      ...(stop ? { stopTimeoutMs: stop.ms } : {}),
      health: origin.health,
      source: origin.source,
    },
    upstream: {
      ...(ollama?.loadTimeoutMs !== undefined ? { loadTimeoutMs: ollama.loadTimeoutMs } : {}),
      boxCapacity: preset.boxCapacity,
      source: ollama
        ? `${ollama.files.join(', ')}${ollama.numParallel !== undefined ? ` (OLLAMA_NUM_PARALLEL=${ollama.numParallel}${o.slotsFromOverride ? ', applied to every model' : '; slots from the layout, --slots-from-override to apply it'})` : ''}`
        : 'simulator presets (sim/presets.ts); no Ollama override found',
      ...(probe ? { probe } : {}),
    },
    // Concurrency per model: the origin's explicit admission.slots, else (when asked) the engine's
    // OLLAMA_NUM_PARALLEL from the override, else the reference layout's own. The override is the
    // deployment's, not the layout's, so it only applies with --slots-from-override.
    models: preset.models.map((m) => {
      const name = simModelName(m.sim);
      const slots = origin.slots[`${firstUpstream.name}/${name}`] ?? origin.slots[name] ?? (o.slotsFromOverride ? ollama?.numParallel : undefined);
      return presetModel(m, firstUpstream.name, slots);
    }),
    clients: o.clients ?? commonClients,
    timers,
  });
}
