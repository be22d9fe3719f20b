import type { UsageRow } from '../../quota/types.ts';
import { CONSOLE_PATH } from '../session.ts';

export interface UsageChart {
  /** Days as epoch seconds (uPlot's x axis), then one series of tokens per tenant. */
  days: number[];
  tenants: string[];
  tokens: number[][];
}

/** One day per tenant and model, and the last two weeks of tokens per tenant as a uPlot chart. */
export function UsagePage(props: { day: string; rows: UsageRow[]; chart: UsageChart; from: string; to: string; store: string }) {
  const perTenant = new Map<string, { requests: number; prompt: number; completion: number; errors: number }>();
  for (const r of props.rows) {
    const t = perTenant.get(r.tenant) ?? { requests: 0, prompt: 0, completion: 0, errors: 0 };
    t.requests += r.requests;
    t.prompt += r.promptTokens;
    t.completion += r.completionTokens;
    t.errors += r.errors;
    perTenant.set(r.tenant, t);
  }
  return (
    <>
      <form method="get" action={`${CONSOLE_PATH}/usage`} class="inline">
        <label>
          Day (UTC) <input type="date" name="day" value={props.day} />
        </label>
        <button type="submit">Show</button>
        <a href={`${CONSOLE_PATH}/usage.csv?from=${props.day}&to=${props.day}`} id="csv-day" download>CSV of this day</a>
        <a href={`${CONSOLE_PATH}/usage.csv?from=${props.from}&to=${props.to}`} download>CSV of {props.from} … {props.to}</a>
      </form>
      <h2>{props.day}, per tenant</h2>
      <table id="usage-tenants">
        <thead>
          <tr><th>Tenant</th><th>Requests</th><th>Prompt tokens</th><th>Completion tokens</th><th>Errors</th></tr>
        </thead>
        <tbody>
          {[...perTenant.entries()].map(([tenant, t]) => (
            <tr data-tenant={tenant}>
              <td>{tenant}</td><td>{t.requests}</td><td>{t.prompt}</td><td>{t.completion}</td><td>{t.errors}</td>
            </tr>
          ))}
          {perTenant.size === 0 ? <tr class="empty"><td colspan={5}>no usage recorded that day</td></tr> : null}
        </tbody>
      </table>
      <h2>{props.day}, per tenant and model</h2>
      <table id="usage-rows">
        <thead>
          <tr><th>Tenant</th><th>Model</th><th>Requests</th><th>Prompt tokens</th><th>Completion tokens</th><th>Errors</th></tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr>
              <td>{r.tenant}</td><td>{r.model}</td><td>{r.requests}</td><td>{r.promptTokens}</td><td>{r.completionTokens}</td><td>{r.errors}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Tokens per tenant, {props.from} … {props.to}</h2>
      <div id="usage-chart" class="chart"></div>
      <script type="application/json" id="usage-data" dangerouslySetInnerHTML={{ __html: JSON.stringify(props.chart).replace(/</g, '\\u003c') }}></script>
      <p class="hint">Usage store: {props.store}.</p>
    </>
  );
}
