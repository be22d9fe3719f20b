/**
 * `npm run bench:edge`: the time to first token the edge adds over calling the origin directly,
 * per local runtime (the Fastly build in Viceroy, the Workers build in workerd), in one run.
 * Requests rotate direct → Viceroy → workerd so that drift on this shared machine hits every path
 * alike; direct requests are signed by the bench (outside the timed span) because the origin runs
 * in edge mode, so both paths pay the origin's signature check.
 *
 *   npm run bench:edge -- [--requests 200] [--tokens 2] [--warmup 20]
 *
 * Figures, not pass/fail. Local runtimes are not the production network: what this shows is the
 * edge's own work per request (auth, limits, signing, relay), not a POP's RTT.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { addKey, ensureSecretsFile, putTenant, writeTenantsFile } from '../../../edge/cli/tenants-file.ts';
import { localRuntime } from '../../../edge/local/index.ts';
import type { RunningEdge } from '../../../edge/local/types.ts';
import { startViceroyEdge } from '../../../edge/local/viceroy.ts';
import { startWorkerdEdge } from '../../../edge/local/workerd.ts';
import { bodyDigest, importSigningKey, newNonce, signedHeaders } from '../../../shared/signing.ts';
import type { TenantsFile } from '../../../shared/tenants.ts';
import { startOriginStack } from '../lib/origin-stack.ts';
import { fmtMs, percentile, printTable, sortedCopy } from '../lib/stats.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '200' },
    tokens: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '20' },
  },
});
const N = Number(values.requests);
const WARMUP = Number(values.warmup);
const MODEL = 'llama3.2:3b';
const PATH = '/v1/chat/completions';
const body = (i: number) =>
  JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: `bench ${i} [[sim:tokens=${values.tokens}]]` }] });

interface Target {
  name: string;
  base: string;
  headers: (payload: string) => Promise<Record<string, string>>;
  agent: Agent;
  ttft: number[];
  errors: number;
}

/** Milliseconds from sending to the first SSE `data:` event (not keepalive comments). */
async function ttft(t: Target, payload: string): Promise<number | null> {
  const headers = await t.headers(payload);
  const t0 = performance.now();
  const res = await request(t.base + PATH, { method: 'POST', body: payload, headers, dispatcher: t.agent });
  if (res.statusCode !== 200) {
    await res.body.dump();
    return null;
  }
  let first: number | null = null;
  for await (const chunk of res.body) {
    if (first === null && (chunk as Buffer).includes('data: ')) first = performance.now() - t0;
  }
  return first;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'puerta-bench-edge-'));
  const secretsFile = join(dir, 'edge-secrets.json');
  const secret = ensureSecretsFile(secretsFile);
  const data: TenantsFile = {};
  putTenant(data, { id: 'bench', rateLimit: { requests: 1_000_000, windowSeconds: 60 } });
  const { key } = await addKey(data, 'bench');
  const tenantsFile = join(dir, 'tenants.json');
  writeTenantsFile(tenantsFile, data);

  const stack = await startOriginStack({ sim: { timeScale: 1 }, origin: { auth: { mode: 'edge', edgeSecret: secret, maxSkewMs: 60_000 } } });
  const edges: RunningEdge[] = [];
  try {
    const signingKey = await importSigningKey(secret);
    const agentOpts = { connections: 4, keepAliveTimeout: 30_000 };
    const targets: Target[] = [
      {
        name: 'direct to origin',
        base: stack.origin.url,
        agent: new Agent(agentOpts),
        ttft: [],
        errors: 0,
        headers: async (payload) => {
          const requestId = 'req_' + crypto.randomUUID().replace(/-/g, '');
          const signed = await signedHeaders(signingKey, {
            method: 'POST',
            path: PATH,
            timestamp: Date.now(),
            nonce: newNonce(),
            tenant: 'bench',
            requestId,
            bodyDigest: await bodyDigest(new TextEncoder().encode(payload)),
            country: 'DE',
          });
          return { ...signed, 'x-request-id': requestId, 'content-type': 'application/json' };
        },
      },
    ];
    const viaEdge = async (edge: RunningEdge, name: string) => {
      edges.push(edge);
      targets.push({
        name,
        base: edge.url,
        agent: new Agent(agentOpts),
        ttft: [],
        errors: 0,
        headers: async () => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' }),
      });
    };
    const config = { LOG_REQUESTS: 'false' };
    if (localRuntime('auto') === 'fastly') {
      await viaEdge(await startViceroyEdge({ originUrl: stack.origin.url, tenantsFile, secretsFile, config }), 'edge: Viceroy (Fastly build)');
    } else {
      console.log('Viceroy not built (bash scripts/ensure-system-deps.sh viceroy): measuring workerd only');
    }
    await viaEdge(await startWorkerdEdge({ originUrl: stack.origin.url, tenantsFile, signingSecret: secret, vars: config }), 'edge: workerd (Workers build)');

    for (let i = 0; i < WARMUP; i++) for (const t of targets) await ttft(t, body(i));
    for (let i = 0; i < N; i++) {
      for (const t of targets) {
        const v = await ttft(t, body(i));
        if (v === null) t.errors++;
        else t.ttft.push(v);
      }
    }

    const direct = sortedCopy(targets[0]!.ttft);
    const d50 = percentile(direct, 50);
    const d99 = percentile(direct, 99);
    const rows = targets.map((t) => {
      const s = sortedCopy(t.ttft);
      const p50 = percentile(s, 50);
      const p99 = percentile(s, 99);
      const isDirect = t === targets[0];
      return [t.name, s.length, t.errors, fmtMs(p50), fmtMs(p99), isDirect ? '-' : fmtMs(p50 - d50), isDirect ? '-' : fmtMs(p99 - d99)];
    });
    console.log(`\nTTFT through the edge vs direct to the origin (${N} streaming requests per path, ${values.tokens} tokens, sequential, same run)\n`);
    printTable(['path', 'n', 'errors', 'TTFT p50 ms', 'TTFT p99 ms', 'added p50 ms', 'added p99 ms'], rows);
    mkdirSync('bench-results', { recursive: true });
    const out = join('bench-results', `edge-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      out,
      JSON.stringify({ requests: N, tokens: Number(values.tokens), targets: targets.map((t) => ({ name: t.name, errors: t.errors, ttftMs: t.ttft })) }, null, 1),
    );
    console.log(`\nraw samples: ${out}`);
  } finally {
    for (const e of edges) await e.close();
    await stack.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
