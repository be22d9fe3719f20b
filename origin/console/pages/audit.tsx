import type { AuditDay } from '../audit-days.ts';
import type { ConsoleDeps } from '../deps.ts';
import { ActionForm } from './layout.tsx';

export function AuditPage(props: { days: AuditDay[] | null; dir: string | null; policy: ConsoleDeps['auditPolicy']; audited: boolean; csrf: string; notice?: string | undefined }) {
  const p = props.policy;
  return (
    <>
      {props.notice ? <p class="notice" role="status">{props.notice}</p> : null}
      {!props.audited ? <p class="error">No audit sink is configured (AUDIT_DIR): operator actions are written to the log only.</p> : null}
      <h2>Residency policy in force</h2>
      <ul>
        <li>Processing region <code>{p.region}</code>, node <code>{p.node}</code>; sinks: {p.sinks.length ? p.sinks.join(', ') : 'none'}</li>
        <li>Default: records stay in {(p.policy.allowedRegions ?? [p.region]).join(', ')}; prompt digest {p.policy.promptDigest ? 'on' : 'off'}; content logging {p.policy.contentLogging ? 'on' : 'off'}</li>
        {Object.entries(p.tenants).map(([t, tp]) => (
          <li>
            Tenant <code>{t}</code>: regions {(tp.allowedRegions ?? p.policy.allowedRegions ?? [p.region]).join(', ')}; prompt digest {tp.promptDigest ?? p.policy.promptDigest ? 'on' : 'off'}; content logging {tp.contentLogging ?? p.policy.contentLogging ? 'on' : 'off'}
          </li>
        ))}
      </ul>
      {props.dir !== null ? (
        <>
          <h2>Export one tenant's records</h2>
          <p class="hint">The tenant's records of the days chosen, as written (JSON Lines: ids, counts, digests and timings, never text); every day is verified first and a broken one is not exported.</p>
          <div id="audit-export">
            <ActionForm action="audit/export" csrf={props.csrf} label="Export">
              <input name="tenant" placeholder="tenant id" required />
              <input name="from" type="date" required />
              <input name="to" type="date" required />
            </ActionForm>
          </div>
        </>
      ) : null}
      <h2>Days</h2>
      {props.dir === null ? (
        <p class="hint">No audit directory (AUDIT_DIR): there are no files to verify here.</p>
      ) : (
        <table id="audit-days">
          <thead>
            <tr><th>Day (UTC)</th><th>Files</th><th>Nodes</th><th>Verified</th><th></th></tr>
          </thead>
          <tbody>
            {(props.days ?? []).map((d) => (
              <tr data-day={d.day} data-verified={d.verified ? (d.verified.ok ? 'intact' : 'broken') : 'not-yet'}>
                <td>{d.day}</td>
                <td>{d.files}</td>
                <td>{d.nodes.join(', ')}</td>
                <td>
                  {d.verified ? (
                    <>
                      <strong class={d.verified.ok ? 'ok' : 'bad'}>{d.verified.ok ? 'INTACT' : 'BROKEN'}</strong> {d.verified.records} records ({d.verified.operatorActions} operator actions),{' '}
                      <span class="sealed">{d.verified.sealed} of {d.verified.files} file(s) sealed</span>, checked{' '}
                      {new Date(d.verified.at).toISOString().slice(11, 19)} UTC
                      {d.verified.errors.length ? <ul class="problems">{d.verified.errors.map((e) => <li>{e}</li>)}</ul> : null}
                      {d.verified.warnings.length ? <ul class="warnings">{d.verified.warnings.map((e) => <li>{e}</li>)}</ul> : null}
                    </>
                  ) : (
                    'not yet'
                  )}
                </td>
                <td>
                  <ActionForm action="audit/verify" csrf={props.csrf} label="Verify now">
                    <input type="hidden" name="day" value={d.day} />
                  </ActionForm>
                </td>
              </tr>
            ))}
            {props.days && props.days.length === 0 ? <tr class="empty"><td colspan={5}>no audit files yet</td></tr> : null}
          </tbody>
        </table>
      )}
    </>
  );
}
