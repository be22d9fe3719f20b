import { CONSOLE_PATH } from '../session.ts';
import { Layout } from './layout.tsx';

export function LoginPage(props: { error?: string; user?: string }) {
  return (
    <Layout title="Operator login">
      {props.error ? <p class="error" role="alert">{props.error}</p> : null}
      <form method="post" action={`${CONSOLE_PATH}/login`} class="stack">
        <label>
          Operator <input name="user" autocomplete="username" required value={props.user ?? ''} />
        </label>
        <label>
          Password <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit">Log in</button>
      </form>
      <p class="hint">The console's own credential (CONSOLE_USER, CONSOLE_PASSWORD_HASH), not a tenant key.</p>
    </Layout>
  );
}
