/** The harness's run configuration: every CLI flag validated here, so a bad flag names itself. */
import { z } from 'zod';
import { parseDuration } from '../timeouts/duration.ts';

const list = (what: string) =>
  z
    .string()
    .transform((s) => s.split(/[,\s]+/).filter(Boolean).map(Number))
    .refine((a) => a.length > 0 && a.every((n) => Number.isFinite(n) && n > 0), `a comma-separated list of positive ${what}, e.g. 1,2,4,8`);

const duration = z.string().transform((s, ctx) => {
  try {
    return parseDuration(s, 's');
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export const benchFlagsSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'an http(s) base URL such as http://127.0.0.1:8080' }),
    api: z.enum(['openai', 'ollama'], { message: 'openai (POST /v1/chat/completions, SSE) or ollama (POST /api/chat, NDJSON)' }).default('openai'),
    model: z.string().min(1, 'the model name the endpoint serves'),
    'api-key': z.string().optional(),
    concurrency: list('integers').optional(),
    rate: list('requests per second').optional(),
    /** Per step; the step ends when this runs out or `requests` were sent, whichever first. */
    duration: duration.default(30_000),
    requests: z.coerce.number().int().positive().optional(),
    'input-tokens': z.coerce.number().int().positive().default(256),
    'input-spread': z.coerce.number().min(0).max(1).default(0.1),
    'output-tokens': z.coerce.number().int().positive().default(128),
    'output-spread': z.coerce.number().min(0).max(1).default(0.1),
    dataset: z.string().optional(),
    /** Adds `[[sim:tokens=N]]` so the simulator answers exactly the drawn output length. */
    sim: z.boolean().default(false),
    'request-timeout': duration.default(600_000),
    out: z.string().default('bench-results'),
    label: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only').optional(),
    seed: z.coerce.number().int().default(1),
    /** Overhead mode: the same load against this URL too, interleaved step by step. */
    direct: z.url({ protocol: /^https?$/, message: 'the direct http(s) base URL (the engine or simulator itself)' }).optional(),
    'direct-api': z.enum(['openai', 'ollama']).optional(),
    'direct-api-key': z.string().optional(),
    rounds: z.coerce.number().int().min(1).max(20).default(2),
    plots: z.boolean().default(true),
    progress: z.boolean().optional(),
  })
  .superRefine((f, ctx) => {
    if (f.concurrency && f.rate) ctx.addIssue({ code: 'custom', path: ['rate'], message: 'give --concurrency or --rate, not both' });
  })
  .transform((f) => ({ ...f, concurrency: f.concurrency ?? (f.rate ? undefined : [1, 2, 4, 8]) }));

export type BenchConfig = z.output<typeof benchFlagsSchema>;

/** One step of a sweep: a closed loop of N clients, or an open loop at R requests/s. */
export type StepSpec = { kind: 'concurrency'; value: number } | { kind: 'rate'; value: number };

export function stepsOf(cfg: BenchConfig): StepSpec[] {
  if (cfg.rate) return cfg.rate.map((value) => ({ kind: 'rate', value }));
  return cfg.concurrency!.map((value) => ({ kind: 'concurrency', value: Math.round(value) }));
}

/** Where and how to send requests: the path under test, or the direct one in overhead mode. */
export interface Target {
  name: string;
  url: string;
  api: 'openai' | 'ollama';
  apiKey?: string;
}
