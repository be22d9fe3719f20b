import type { KeyRecord, TenantRecord } from '../../../shared/tenants.ts';
import { CONSOLE_PATH } from '../session.ts';
import { ActionForm } from './layout.tsx';

export interface IssuedKey {
  tenant: string;
  keyId: string;
  key: string;
}

/** Today's tokens and the daily budget (quota.dailyTokens; 0 = none) of each tenant. */
export type TodayUse = Record<string, { tokens: number; requests: number; dailyTokens: number; requestsPerMinute: number }>;

export function TenantsPage(props: { list: Array<{ tenant: TenantRecord; keys: KeyRecord[] }>; csrf: string; file: string; today: TodayUse; issued?: IssuedKey | undefined; notice?: string | undefined; error?: string | undefined }) {
  const { csrf } = props;
  return (
    <>
      {props.error ? <p class="error" role="alert">{props.error}</p> : null}
      {props.notice ? <p class="notice" role="status">{props.notice}</p> : null}
      {props.issued ? (
        <div class="issued" role="status">
          <p>
            New key <code>{props.issued.keyId}</code> for <strong>{props.issued.tenant}</strong>. Copy it now: it is shown once, only its hash is stored.
          </p>
          <pre id="issued-key">{props.issued.key}</pre>
        </div>
      ) : null}
      <p class="hint">
        Tenants file: <code>{props.file}</code>. The origin (auth mode keys) rereads it within seconds; a local edge loads it when it starts, a deployed edge's KV store takes it with{' '}
        <code>npm run tenants -- wrangler-bulk</code>. Export for an edge's KV store (key hashes only):{' '}
        <a href={`${CONSOLE_PATH}/tenants/export/fastly.json`} download>Fastly KV (JSON)</a> ·{' '}
        <a href={`${CONSOLE_PATH}/tenants/export/workers.json`} download>Workers KV (wrangler kv bulk put)</a>.
      </p>
      <table id="tenants">
        <thead>
          <tr><th>Tenant</th><th>Status</th><th>Models</th><th>Edge rate limit</th><th>Today (UTC)</th><th>Keys</th><th></th></tr>
        </thead>
        <tbody>
          {props.list.map(({ tenant: t, keys }) => (
            <tr data-tenant={t.id}>
              <td>{t.id}{t.name ? <small> {t.name}</small> : null}</td>
              <td>{t.status}</td>
              <td>{t.models.length ? t.models.join(', ') : 'all'}</td>
              <td>{t.rateLimit.requests} / {t.rateLimit.windowSeconds} s</td>
              <td class="today">
                {props.today[t.id]?.requests ?? 0} requests, {props.today[t.id]?.tokens ?? 0} tokens
                {props.today[t.id]?.dailyTokens ? ` of ${props.today[t.id]!.dailyTokens} a day` : ''}
              </td>
              <td>
                <ul class="keys">
                  {keys.map((k) => (
                    <li data-key={k.id}>
                      <code>{k.id}</code> {k.label ? <small>{k.label}</small> : null} {k.status}{' '}
                      {k.status === 'active' ? <ActionForm action={`keys/${k.id}/revoke`} csrf={csrf} label="Revoke" danger /> : null}
                    </li>
                  ))}
                </ul>
              </td>
              <td>
                <ActionForm action={`tenants/${t.id}/keys`} csrf={csrf} label="Issue key">
                  <input name="label" placeholder="label" aria-label="key label" />
                </ActionForm>
                <ActionForm action={`tenants/${t.id}/edit`} csrf={csrf} label="Save limits">
                  <input name="models" value={t.models.join(', ')} placeholder="all models" aria-label={`allowed models of ${t.id}`} />
                  <input name="requests" type="number" min="1" value={String(t.rateLimit.requests)} aria-label={`requests per window of ${t.id}`} />
                  <select name="window" aria-label={`window of ${t.id}`}>
                    <option value="60" selected={t.rateLimit.windowSeconds === 60}>per 60 s</option>
                    <option value="10" selected={t.rateLimit.windowSeconds === 10}>per 10 s</option>
                  </select>
                </ActionForm>
                <ActionForm action={`tenants/${t.id}/${t.status === 'active' ? 'suspend' : 'activate'}`} csrf={csrf} label={t.status === 'active' ? 'Suspend' : 'Activate'} danger={t.status === 'active'} />
              </td>
            </tr>
          ))}
          {props.list.length === 0 ? <tr class="empty"><td colspan={7}>no tenants yet</td></tr> : null}
        </tbody>
      </table>
      <h2>New tenant</h2>
      <ActionForm action="tenants" csrf={csrf} label="Create tenant and first key">
        <input name="id" placeholder="tenant id (a-z 0-9 _ -)" required aria-label="tenant id" />
        <input name="name" placeholder="display name" aria-label="display name" />
        <input name="models" placeholder="models, comma-separated (empty: all)" aria-label="allowed models" />
        <input name="requests" type="number" min="1" value="600" aria-label="requests per window" />
        <select name="window" aria-label="window">
          <option value="60">per 60 s</option>
          <option value="10">per 10 s</option>
        </select>
      </ActionForm>
    </>
  );
}
