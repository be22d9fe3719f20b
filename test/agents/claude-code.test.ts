/**
 * Claude Code (npm @anthropic-ai/claude-code) completes one turn through the edge (workerd, and Viceroy for Fastly) with a
 * tenant key, offline: `claude -p` with ANTHROPIC_BASE_URL at the edge and the key as
 * ANTHROPIC_AUTH_TOKEN. It probes `HEAD /` without a key, then sends one streamed
 * `POST /v1/messages?beta=true` (~76 KB: 24 tools, adaptive thinking, a system message inside
 * `messages`), which the origin translates for Ollama.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startEdgeStack, type EdgeStack, type Runtime } from '../edge/harness/stack.ts';
import { agentBin, freshHome, runAgent } from './harness.ts';

for (const runtime of ['workers', 'fastly'] as Runtime[]) {
  describe(`edge on ${runtime}`, () => {
    let s: EdgeStack;
    beforeAll(async () => {
      agentBin('claude');
      s = await startEdgeStack(runtime, { timeScale: 0.01 });
    });
    afterAll(async () => {
      await s?.close();
    });

    /** `claude -p` pointed at the edge, in a fresh HOME. */
    const claude = (prompt: string) => {
      const { home, cwd, remove } = freshHome();
      onTestFinished(remove);
      return runAgent('claude', ['-p', prompt, '--model', 'gpt-oss:20b'], {
        home,
        cwd,
        timeoutMs: 150_000,
        env: {
          ANTHROPIC_BASE_URL: s.edge.url,
          ANTHROPIC_AUTH_TOKEN: s.keys.open,
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_AUTOUPDATER: '1',
        },
      });
    };

    it('claude -p answers through the edge with a tenant key', { timeout: 180_000 }, async () => {
      s.origin.sim.resetStats();
      const run = await claude('Say hello in one line. [[sim:tokens=12]]');
      expect(run.timedOut, run.stderr).toBe(false);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout.trim().split(/\s+/).length, run.stdout).toBeGreaterThanOrEqual(3);
      expect(run.stdout).not.toMatch(/error|issue with the selected model/i);
      const stats = s.origin.sim.stats();
      expect(stats.requestsByModel['gpt-oss:20b']).toBeGreaterThanOrEqual(1);
      expect(stats.rejected['400'] + stats.rejected['500']).toBe(0);
    });

    it('recovers on its retry from a one-off engine failure mid-stream', { timeout: 180_000 }, async () => {
      s.origin.sim.resetStats();
      const run = await claude(`Say hello in one line. [[sim:tokens=12,fault=error,after=3,once=claude-${runtime}]]`);
      expect(run.timedOut, run.stderr).toBe(false);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout.trim().split(/\s+/).length, run.stdout).toBeGreaterThanOrEqual(3);
      const stats = s.origin.sim.stats();
      expect(stats.faultsInjected.error).toBe(1);
      expect(stats.requestsByModel['gpt-oss:20b']).toBeGreaterThanOrEqual(2);
    });
  });
}
