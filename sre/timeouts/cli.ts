/**
 * `npm run check:timeouts -- [flags]`: checks the timeout chain client → edge → origin → upstream
 * (docs/design.md "Timeouts") for the reference layouts or a layout file. Exit 0 when every
 * check passes, 1 when one fails, 2 when the input itself is wrong.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readCli } from '../../shared/cli.ts';
import { buildLayout } from './build.ts';
import { checkLayout, type CheckResult } from './check.ts';
import { layoutSchema } from './layout.ts';
import { layoutPresetNames, layoutPresets, type LayoutPresetName } from './presets.ts';
import { formatResult } from './report.ts';
import { readEnvFile } from './sources/env-file.ts';
import { formatProposals, fromMetrics } from './traffic/from-metrics.ts';

const help = `Timeout chain checker

Usage: npm run check:timeouts -- [flags]

  --preset NAME          reference layout; repeatable (default: all): ${layoutPresetNames.join(', ')}
  --layout FILE          a whole layout as JSON (sre/timeouts/layout.ts); repeatable; skips the config files
  --edge KIND            fastly | workers | none (default: the preset's)
  --shielding BOOL       true | false: Fastly shielding/clustering (default: the preset's)
  --fastly-toml PATH     default fastly.toml
  --fastly-section S     setup (what deploy provisions, default) | local (what Viceroy runs)
  --wrangler PATH        default infra/wrangler.toml (.json/.jsonc also read)
  --origin-config FILE   origin JSON config (default: PUERTA_ORIGIN_CONFIG; environment applies too)
  --origin-env FILE      the origin's environment file (e.g. /etc/puerta/origin.env or
                         infra/origin/origin.env.example) instead of this process's environment
  --origin-service FILE  the origin's systemd unit, for TimeoutStopSec (default infra/origin/puerta-origin.service)
  --ollama-override P    Ollama systemd override file or directory (default infra/ollama)
  --slots-from-override  every model gets the override's OLLAMA_NUM_PARALLEL slots (the deployed engine)
                         instead of the reference layout's own
  --probe                ask the upstream for /api/version and /api/ps
  --from-metrics SRC     propose values from observed traffic instead of checking presets: SRC is the
                         origin's /metrics URL, a Prometheus server URL, a saved /metrics dump, or a
                         bench result (results.json of npm run bench). Exit 1 when today's config
                         would have cut observed requests.
  --window DUR           Prometheus server range for --from-metrics (default 7d)
  --model NAME           only this model's series (--from-metrics on /metrics or Prometheus)
  --metrics-token T      bearer token for the origin's /metrics
  --json                 print the results as JSON
  --help                 this text
`;

const flagsSchema = z.object({
  preset: z.array(z.enum(layoutPresetNames as [LayoutPresetName, ...LayoutPresetName[]], { message: `use one of ${layoutPresetNames.join(', ')}` })).optional(),
  layout: z.array(z.string()).optional(),
  edge: z.enum(['fastly', 'workers', 'none'], { message: 'use fastly, workers or none' }).optional(),
  shielding: z.enum(['true', 'false'], { message: 'use true or false' }).transform((v) => v === 'true').optional(),
  'fastly-toml': z.string().optional(),
  'fastly-section': z.enum(['setup', 'local'], { message: 'use setup or local' }).optional(),
  wrangler: z.string().optional(),
  'origin-config': z.string().optional(),
  'origin-env': z.string().optional(),
  'origin-service': z.string().optional(),
  'ollama-override': z.string().optional(),
  'slots-from-override': z.boolean().optional(),
  probe: z.boolean().optional(),
  'from-metrics': z.string().optional(),
  window: z.string().regex(/^\d+[smhdwy]$/, 'a Prometheus range such as 7d or 24h').optional(),
  model: z.string().optional(),
  'metrics-token': z.string().optional(),
  json: z.boolean().optional(),
});

export async function runCli(argv: string[], root: string, out: (s: string) => void = console.log): Promise<number> {
  const asked = readCli(
    {
      name: 'check:timeouts',
      usage: help,
      options: {
        preset: { type: 'string', multiple: true },
        layout: { type: 'string', multiple: true },
        edge: { type: 'string' },
        shielding: { type: 'string' },
        'fastly-toml': { type: 'string' },
        'fastly-section': { type: 'string' },
        wrangler: { type: 'string' },
        'origin-config': { type: 'string' },
        'origin-env': { type: 'string' },
        'origin-service': { type: 'string' },
        'ollama-override': { type: 'string' },
        'slots-from-override': { type: 'boolean' },
        probe: { type: 'boolean' },
        'from-metrics': { type: 'string' },
        window: { type: 'string' },
        model: { type: 'string' },
        'metrics-token': { type: 'string' },
        json: { type: 'boolean' },
      },
    },
    argv,
  );
  if (asked.kind === 'help') {
    out(help);
    return 0;
  }
  if (asked.kind === 'bad-usage') {
    out(asked.line);
    return 2;
  }
  const raw = asked.values;
  const parsed = flagsSchema.safeParse(raw);
  if (!parsed.success) {
    out(`check:timeouts: ${parsed.error.issues.map((i) => `--${String(i.path[0])} ${JSON.stringify((raw as Record<string, unknown>)[String(i.path[0])])}: ${i.message}`).join('; ')}`);
    return 2;
  }
  const f = parsed.data;
  if (f['from-metrics']) {
    try {
      const r = await fromMetrics({
        root,
        source: f['from-metrics'],
        edge: f.edge ?? 'fastly',
        shielding: f.shielding ?? true,
        ...(f['fastly-toml'] ? { fastlyToml: f['fastly-toml'] } : {}),
        ...(f['fastly-section'] ? { fastlySection: f['fastly-section'] } : {}),
        ...(f.wrangler ? { wrangler: f.wrangler } : {}),
        ...(f['origin-config'] ? { originFile: f['origin-config'] } : {}),
        ...(f['origin-env'] ? { originEnv: readEnvFile(f['origin-env']) } : {}),
        ...(f.window ? { window: f.window } : {}),
        ...(f.model ? { model: f.model } : {}),
        ...(f['metrics-token'] ? { token: f['metrics-token'] } : {}),
      });
      out(f.json ? JSON.stringify(r, null, 2) : formatProposals(r));
      return r.proposals.some((p) => p.verdict === 'would cut') ? 1 : 0;
    } catch (e) {
      out(`check:timeouts: ${(e as Error).message}`);
      return 2;
    }
  }
  const results: CheckResult[] = [];
  try {
    for (const file of f.layout ?? []) {
      const l = layoutSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!l.success) throw new Error(`layout ${file}: ${l.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      results.push(checkLayout(l.data));
    }
    const names = f.preset ?? (f.layout ? [] : layoutPresetNames);
    const originEnv = f['origin-env'] ? readEnvFile(f['origin-env']) : undefined;
    for (const name of names) {
      const layout = await buildLayout(layoutPresets[name], {
        root,
        ...(f.edge ? { edge: f.edge } : {}),
        ...(f.shielding !== undefined ? { shielding: f.shielding } : {}),
        ...(f['fastly-toml'] ? { fastlyToml: f['fastly-toml'] } : {}),
        ...(f['fastly-section'] ? { fastlySection: f['fastly-section'] } : {}),
        ...(f.wrangler ? { wrangler: f.wrangler } : {}),
        ...(f['origin-config'] ? { originFile: f['origin-config'] } : {}),
        ...(originEnv ? { originEnv } : {}),
        ...(f['origin-service'] ? { originService: f['origin-service'] } : {}),
        ...(f['ollama-override'] ? { ollamaOverride: f['ollama-override'] } : {}),
        slotsFromOverride: f['slots-from-override'] ?? false,
        probe: f.probe ?? false,
      });
      results.push(checkLayout(layout));
    }
  } catch (e) {
    out(`check:timeouts: ${(e as Error).message}`);
    return 2;
  }
  if (f.json) out(JSON.stringify(results, null, 2));
  else out(results.map(formatResult).join('\n\n'));
  const failed = results.filter((r) => !r.ok);
  if (!f.json) out(failed.length === 0 ? `\nOK: ${results.length} layout(s), timeout chain holds` : `\nFAILED: ${failed.map((r) => r.layout.name).join(', ')}`);
  return failed.length === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  process.exitCode = await runCli(process.argv.slice(2), root);
}
