import type { EngineFigures } from '../../routing/engine-measures.ts';
import type { EngineLoad } from '../../upstream/engine-load.ts';
import type { EngineState } from '../engines.ts';
import { CONSOLE_PATH } from '../session.ts';
import { ActionForm, bytes } from './layout.tsx';

/** Drains as the page shows them: which upstreams, streams still open on each, and how far a drain reaches. */
export interface DrainState {
  drained: ReadonlySet<string>;
  inflight: Record<string, number>;
  scope: 'every replica' | 'this replica';
  available: boolean;
}

/** Engines and their loaded models; re-rendered and pushed over the event stream every few seconds. */
export function ModelsFragment({ engines, csrf, drains }: { engines: EngineState[]; csrf: string; drains: DrainState }) {
  return (
    <div>
      {engines.map((e) => (
        <section class="engine" data-engine={e.name} data-drained={drains.drained.has(e.name) ? 'true' : 'false'}>
          <h2>
            {e.name} <small>{e.kind} · {e.url} · {e.version ? `version ${e.version}` : 'version unknown'} · {e.healthy === false ? 'unhealthy' : e.ejected ? 'ejected' : 'healthy'}</small>
          </h2>
          {drains.available ? (
            <p class="drain">
              {drains.drained.has(e.name) ? (
                <>
                  <strong class="bad">Draining</strong> on {drains.scope}: no new requests; {drains.inflight[e.name] ?? 0} stream(s) still running.{' '}
                  <ActionForm action="engines/resume" csrf={csrf} label="Resume">
                    <input type="hidden" name="upstream" value={e.name} />
                  </ActionForm>
                </>
              ) : (
                <>
                  {drains.inflight[e.name] ?? 0} stream(s) running.{' '}
                  <ActionForm action="engines/drain" csrf={csrf} label="Drain" danger>
                    <input type="hidden" name="upstream" value={e.name} />
                  </ActionForm>
                </>
              )}
            </p>
          ) : null}
          {e.error ? <p class="error">cannot ask the engine: {e.error}</p> : null}
          {e.reported ? <EngineReport load={e.reported} /> : null}
          {e.measured.length > 0 ? <Measured rows={e.measured} /> : null}
          {e.managesModels ? (
            <p class="memory">
              Loaded models hold {bytes(e.loaded.reduce((a, m) => a + m.vramBytes, 0))} of GPU memory
              {e.gpuMemoryBytes ? `, of ${bytes(e.gpuMemoryBytes)} on the box (${bytes(Math.max(0, e.gpuMemoryBytes - e.loaded.reduce((a, m) => a + m.vramBytes, 0)))} free)` : ' (set GPU_MEMORY_BYTES to see the headroom)'}
            </p>
          ) : null}
          {!e.managesModels ? <p class="hint">This engine kind does not load or unload models on request.</p> : null}
          {e.managesModels ? (
            <>
              <table>
                <thead>
                  <tr><th>Loaded model</th><th>Size</th><th>In GPU memory</th><th>Unloads at</th><th></th></tr>
                </thead>
                <tbody>
                  {e.loaded.map((m) => (
                    <tr data-model={m.name}>
                      <td>{m.name}</td><td>{bytes(m.sizeBytes)}</td><td>{bytes(m.vramBytes)}</td><td>{m.expiresAt ? m.expiresAt.replace('T', ' ').slice(0, 19) : 'kept loaded'}</td>
                      <td>
                        <ActionForm action="models/unload" csrf={csrf} label="Unload" danger>
                          <input type="hidden" name="upstream" value={e.name} />
                          <input type="hidden" name="model" value={m.name} />
                        </ActionForm>
                      </td>
                    </tr>
                  ))}
                  {e.loaded.length === 0 ? <tr class="empty"><td colspan={5}>no model loaded</td></tr> : null}
                </tbody>
              </table>
            </>
          ) : null}
        </section>
      ))}
    </div>
  );
}

export function ModelsPage(props: { engines: EngineState[]; csrf: string; drains: DrainState; notice?: string | undefined }) {
  const managed = props.engines.filter((e) => e.managesModels);
  return (
    <>
      {props.notice ? <p class="notice" role="status">{props.notice}</p> : null}
      <div id="models" data-sse={`${CONSOLE_PATH}/events/models`}>
        <ModelsFragment engines={props.engines} csrf={props.csrf} drains={props.drains} />
      </div>
      {managed.length > 0 ? (
        // Outside the live part: a refresh must not wipe what the operator is typing.
        <>
          <h2>Load a model</h2>
          <ActionForm action="models/warm" csrf={props.csrf} label="Load (warm)">
            <select name="upstream" aria-label="engine">
              {managed.map((e) => (
                <option value={e.name}>{e.name}</option>
              ))}
            </select>
            <input name="model" placeholder="model name" required aria-label="model to load" />
          </ActionForm>
        </>
      ) : null}
    </>
  );
}

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;
const meanMs = (h: { sum: number; count: number } | undefined) => (h && h.count > 0 ? `${((h.sum / h.count) * 1000).toFixed(0)} ms` : null);

/**
 * What the engine says of its own load (vLLM's /metrics), the figures routing and admission read:
 * its own queue, KV-cache use, prefix-cache hits and mean latencies since it started.
 */
function EngineReport(props: { load: EngineLoad }) {
  const l = props.load;
  const parts = [`${l.running} running`, `${l.waiting} waiting in the engine`];
  if (l.kvCacheUsage !== undefined) parts.push(`KV cache ${percent(l.kvCacheUsage)} used`);
  if (l.prefixCacheQueries !== undefined && l.prefixCacheHits !== undefined && l.prefixCacheQueries > 0) parts.push(`prefix cache hits ${percent(l.prefixCacheHits / l.prefixCacheQueries)}`);
  const ttft = meanMs(l.ttft);
  if (ttft) parts.push(`TTFT mean ${ttft}`);
  const itl = meanMs(l.interToken);
  if (itl) parts.push(`inter-token mean ${itl}`);
  return <p class="engine-load">Engine reports: {parts.join(' · ')}</p>;
}

const rate = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(0)} tok/s`);
const ms = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(0)} ms`);

/** What the origin measured of each model on the engine (every engine, Ollama included): the figures routing and the queue's estimates use. */
function Measured(props: { rows: Array<{ model: string } & EngineFigures> }) {
  return (
    <table class="measured">
      <thead>
        <tr><th>Measured by Puerta</th><th>Prefill (cold)</th><th>Decode</th><th>TTFT</th><th>Queue</th><th>Service</th><th>Cache reuse</th><th>Requests</th><th>Cold loads</th></tr>
      </thead>
      <tbody>
        {props.rows.map((m) => (
          <tr data-measured={m.model}>
            <td>{m.model}</td><td>{rate(m.prefillTokensPerSecond)}</td><td>{rate(m.decodeTokensPerSecond)}</td><td>{ms(m.ttftMs)}</td><td>{ms(m.queueMs)}</td><td>{ms(m.serviceMs)}</td>
            <td>{m.reuse === undefined ? '–' : percent(m.reuse)}</td><td>{m.requests}</td><td>{m.coldLoads}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
