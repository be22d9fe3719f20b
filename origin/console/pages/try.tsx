import { ActionForm } from './layout.tsx';

export interface TryIssued {
  tenant: string;
  keyId: string;
  key: string;
}

/**
 * A chat box that streams through the edge with a tenant's key, as any client would. The request
 * goes from the browser to the edge (console.js); the text, the key and the answer stay in the
 * browser, so the origin sees this request like any other and its console never holds the text.
 */
export function TryPage(props: { edgeUrl: string | undefined; tenants: string[]; csrf: string; issued?: TryIssued; error?: string }) {
  if (!props.edgeUrl) {
    return (
      <p class="error">
        The console does not know the edge's URL: set <code>CONSOLE_EDGE_URL</code> (console.edgeUrl), and list this console's origin in the edge's{' '}
        <code>CORS_ALLOWED_ORIGINS</code>. <code>npm start</code> sets both.
      </p>
    );
  }
  const chosen = props.issued?.tenant;
  return (
    <>
      <p class="hint">
        Sends a streamed chat request to the edge at <code>{props.edgeUrl}</code> from this browser with a tenant's key: the edge checks the key, and the origin
        answers as it answers any client. Keepalive comments, time to first token, the text and the <code>Server-Timing</code> phases are shown as they arrive;
        none of it is sent to the console. The console stores only key hashes: paste a key, or issue a fresh one here (shown once, recorded in the audit trail).
      </p>
      {props.error ? <p class="error">{props.error}</p> : null}
      {props.issued ? (
        <p class="notice" id="try-issued">
          Key {props.issued.keyId} issued for {props.issued.tenant}; it is in the key field below and will not be shown again. A local edge that loaded its keys at
          start needs them pushed (Tenants &amp; keys export) before it accepts a new key.
        </p>
      ) : null}
      <ActionForm action="try/key" csrf={props.csrf} label="Issue a fresh key for this tenant">
        <select name="tenant" aria-label="tenant">
          {props.tenants.map((t) => (
            <option value={t} selected={t === chosen}>
              {t}
            </option>
          ))}
        </select>
      </ActionForm>
      <form id="try-form" class="stack" data-edge={props.edgeUrl} autocomplete="off">
        <label>
          Tenant key <input type="password" name="key" required autocomplete="off" value={props.issued?.key ?? ''} />
        </label>
        <label>
          Model <input type="text" name="model" required placeholder="gpt-oss:20b" />
        </label>
        <label>
          Message <textarea name="message" rows={3} required></textarea>
        </label>
        <button type="submit">Send through the edge</button>
      </form>
      <h2>As it arrives</h2>
      <table id="try-result">
        <tbody>
          <tr><th>Status</th><td id="try-status">not sent</td></tr>
          <tr><th>Keepalives</th><td id="try-keepalives">0</td></tr>
          <tr><th>TTFT</th><td id="try-ttft">–</td></tr>
          <tr><th>Answer</th><td id="try-text"></td></tr>
        </tbody>
      </table>
      <h2>Server-Timing</h2>
      <table id="try-timing">
        <thead>
          <tr><th>Phase</th><th>Duration</th><th>What</th></tr>
        </thead>
        <tbody>
          <tr class="empty"><td colspan={3}>no response yet</td></tr>
        </tbody>
      </table>
    </>
  );
}
