/** `npm run sim -- [flags]`: the simulator as a process, for the stack and load tests. */
import { cliArgs } from '../shared/cli.ts';
import { startSimulator } from './index.ts';
import { presets, type PresetName } from './presets.ts';
import { faultKinds, type FaultKind, type ModelConfig } from './types.ts';

const help = `Ollama simulator (protocol-faithful stand-in for Ollama)

Usage: npm run sim -- [flags]

  --port N             listen port (default 11434; 0 = random)
  --host ADDR          listen address (default 127.0.0.1)
  --preset NAME        model to serve; repeat or comma-separate (default: all)
                       presets: ${Object.keys(presets).join(', ')}
  --parallel N         OLLAMA_NUM_PARALLEL for every model (default: per preset)
  --max-queue N        OLLAMA_MAX_QUEUE, requests waiting for a load (default 512)
  --max-loaded N       OLLAMA_MAX_LOADED_MODELS (default 3)
  --time-scale X       0.01 = 100x faster; reported durations stay simulated (default 1)
  --load-ms N          cold load time for every model, simulated ms (default: per preset)
  --preload NAME       model resident at start; repeat or comma-separate ("all" for every model)
  --keep-alive DUR     default keep_alive, Go duration (default 5m)
  --box-capacity X    summed compute weight the GPU runs before everyone slows (default 1)
  --fault-rate K=P     per-request probability of fault K (${faultKinds.join(', ')}); repeatable
  --host-check         answer 403 to non-local Host headers, as Ollama on loopback does
  --seed N             seed for rate faults and text (default 1)
  --persona NAME       ollama (default) or vllm: also serve GET /metrics in vLLM's metric names
  --multiuser-cache    OLLAMA_MULTIUSER_CACHE: a new conversation takes the least recently used
                       slot instead of overwriting the one sharing the most with it
  --help               this text
`;

function main(): void {
  const { values } = cliArgs({
    name: 'sim',
    usage: help,
    options: {
      port: { type: 'string', default: '11434' },
      host: { type: 'string', default: '127.0.0.1' },
      preset: { type: 'string', multiple: true },
      parallel: { type: 'string' },
      'max-queue': { type: 'string' },
      'max-loaded': { type: 'string' },
      'time-scale': { type: 'string' },
      'load-ms': { type: 'string' },
      preload: { type: 'string', multiple: true },
      'keep-alive': { type: 'string' },
      'fault-rate': { type: 'string', multiple: true },
      'box-capacity': { type: 'string' },
      'host-check': { type: 'boolean', default: false },
      seed: { type: 'string' },
      persona: { type: 'string' },
      'multiuser-cache': { type: 'boolean', default: false },
    },
  });
  const num = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) fail(`--${flag} must be a number, got "${v}"`);
    return n;
  };
  const names = (values.preset ?? Object.keys(presets)).flatMap((p) => p.split(',')).filter(Boolean);
  const models: ModelConfig[] = names.map((n) => {
    const p = presets[n as PresetName];
    if (!p) fail(`unknown --preset "${n}"; one of ${Object.keys(presets).join(', ')}`);
    return { ...p };
  });
  const parallel = num('parallel', values.parallel);
  const loadMs = num('load-ms', values['load-ms']);
  for (const m of models) {
    if (parallel !== undefined) m.numParallel = parallel;
    if (loadMs !== undefined) m.loadMs = loadMs;
  }
  const faults: Partial<Record<FaultKind, number>> = {};
  for (const f of values['fault-rate'] ?? []) {
    const [k, p] = f.split('=');
    if (!k || !(faultKinds as readonly string[]).includes(k) || p === undefined || !(Number(p) >= 0 && Number(p) <= 1)) {
      fail(`--fault-rate wants kind=probability with kind one of ${faultKinds.join(', ')}, got "${f}"`);
    }
    faults[k as FaultKind] = Number(p);
  }
  let preloaded = (values.preload ?? []).flatMap((p) => p.split(',')).filter(Boolean);
  if (preloaded.includes('all')) preloaded = models.map((m) => m.name);
  let keepAliveMs: number | undefined;
  if (values['keep-alive'] !== undefined) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(values['keep-alive']);
    if (!m) fail(`--keep-alive wants a Go duration like 5m, got "${values['keep-alive']}"`);
    keepAliveMs = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[m[2] as string]!;
  }
  const persona = values.persona ?? 'ollama';
  if (persona !== 'ollama' && persona !== 'vllm') fail(`--persona wants ollama or vllm, got "${persona}"`);
  const opts = {
    persona: persona as 'ollama' | 'vllm',
    port: num('port', values.port) ?? 11434,
    host: values.host ?? '127.0.0.1',
    models,
    faults,
    preloaded,
    hostCheck: values['host-check'] ?? false,
    multiUserCache: values['multiuser-cache'] ?? false,
    ...(values['max-queue'] !== undefined && { maxQueue: num('max-queue', values['max-queue']) as number }),
    ...(values['max-loaded'] !== undefined && { maxLoadedModels: num('max-loaded', values['max-loaded']) as number }),
    ...(values['time-scale'] !== undefined && { timeScale: num('time-scale', values['time-scale']) as number }),
    ...(values['box-capacity'] !== undefined && { boxCapacity: num('box-capacity', values['box-capacity']) as number }),
    ...(values.seed !== undefined && { seed: num('seed', values.seed) as number }),
    ...(keepAliveMs !== undefined && { defaultKeepAliveMs: keepAliveMs }),
  };
  void startSimulator(opts).then((sim) => {
    process.stdout.write(`ollama simulator listening on ${sim.url} (models: ${models.map((m) => m.name).join(', ')})\n`);
    const stop = () => {
      void sim.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }, (e: unknown) => fail(e instanceof Error ? e.message : String(e)));
}

function fail(msg: string): never {
  process.stderr.write(`sim: ${msg}\n`);
  process.exit(2);
}

main();
