/**
 * Gemini CLI (npm @google/gemini-cli) completes one turn, and one turn with a tool call, through
 * the edge (workerd, and Viceroy for Fastly) with a tenant key, offline: `gemini -p` with
 * GOOGLE_GEMINI_BASE_URL at the edge and the key as GEMINI_API_KEY (sent as x-goog-api-key), a
 * settings.json that turns off telemetry, usage statistics and the update check, and the
 * workspace trusted by environment. It streams `POST /v1beta/models/gpt-oss:20b:streamGenerateContent?alt=sse`
 * with its system instruction, its tools as functionDeclarations and thinkingConfig.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startEdgeStack, type EdgeStack, type Runtime } from '../edge/harness/stack.ts';
import { agentBin, freshHome, runAgent } from './harness.ts';

interface Report {
  response: string;
  stats: { models: Record<string, { api: { totalRequests: number; totalErrors: number } }>; tools: { totalCalls: number; totalSuccess: number; byName: Record<string, { count: number }> } };
}

for (const runtime of ['workers', 'fastly'] as Runtime[]) {
  describe(`edge on ${runtime}`, () => {
    let s: EdgeStack;
    beforeAll(async () => {
      agentBin('gemini');
      s = await startEdgeStack(runtime, { timeScale: 0.01 });
    });
    afterAll(async () => {
      await s?.close();
    });

    /** `gemini -p` pointed at the edge, in a fresh HOME; its JSON report (answer and stats). */
    const gemini = async (prompt: string): Promise<{ report: Report; raw: string }> => {
      const { home, cwd, remove } = freshHome();
      onTestFinished(remove);
      mkdirSync(join(home, '.gemini'));
      writeFileSync(
        join(home, '.gemini/settings.json'),
        JSON.stringify({
          general: { disableAutoUpdate: true, disableUpdateNag: true },
          privacy: { usageStatisticsEnabled: false },
          telemetry: { enabled: false },
          security: { auth: { selectedType: 'gemini-api-key' } },
        }),
      );
      writeFileSync(join(cwd, 'notes-puerta.txt'), 'hello\n');
      const run = await runAgent('gemini', ['-m', 'gpt-oss:20b', '--output-format', 'json', '-p', prompt], {
        home,
        cwd,
        timeoutMs: 150_000,
        env: { GEMINI_API_KEY: s.keys.open, GOOGLE_GEMINI_BASE_URL: s.edge.url, GEMINI_CLI_TRUST_WORKSPACE: 'true' },
      });
      const raw = `${run.stdout}\n${run.stderr}`;
      expect(run.timedOut, raw).toBe(false);
      expect(run.code, raw).toBe(0);
      return { report: JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as Report, raw };
    };

    it('gemini -p answers through the edge with a tenant key', { timeout: 180_000 }, async () => {
      s.origin.sim.resetStats();
      const { report, raw } = await gemini('Say hello in one line. [[sim:tokens=12]]');
      expect(report.response.trim().split(/\s+/).length, raw).toBeGreaterThanOrEqual(3);
      expect(report.stats.models['gpt-oss:20b']?.api).toEqual(expect.objectContaining({ totalRequests: 1, totalErrors: 0 }));
      const stats = s.origin.sim.stats();
      expect(stats.requestsByModel['gpt-oss:20b']).toBe(1);
      expect(stats.rejected['400'] + stats.rejected['500']).toBe(0);
    });

    it('calls a tool (list_directory), runs it, and answers from its result', { timeout: 180_000 }, async () => {
      s.origin.sim.resetStats();
      const { report, raw } = await gemini('What files are here? [[sim:call=list_directory,tokens=10,args={"dir_path":"."}]]');
      expect(report.stats.tools.byName.list_directory?.count, raw).toBe(1);
      expect(report.stats.tools.totalSuccess, raw).toBe(1);
      expect(report.response.trim().length, raw).toBeGreaterThan(0);
      // The call, then the answer with the function's result in the conversation.
      expect(report.stats.models['gpt-oss:20b']?.api).toEqual(expect.objectContaining({ totalRequests: 2, totalErrors: 0 }));
      expect(s.origin.sim.stats().requestsByModel['gpt-oss:20b']).toBe(2);
    });
  });
}
