import type { Child } from 'hono/jsx';
import { CONSOLE_PATH } from '../session.ts';

export const NAV = [
  ['now', 'Now'],
  ['models', 'Engines & models'],
  ['tenants', 'Tenants & keys'],
  ['usage', 'Usage'],
  ['audit', 'Audit'],
  ['retrieval', 'Retrieval'],
  ['batches', 'Batches'],
  ['timeouts', 'Timeout chain'],
  ['try', 'Try it'],
] as const;
export type PageName = (typeof NAV)[number][0];

/** A form that changes state: POST with the session's CSRF token (csrf.ts). */
export function ActionForm(props: { action: string; csrf: string; label: string; children?: Child; danger?: boolean; name?: string }) {
  return (
    <form method="post" action={`${CONSOLE_PATH}/${props.action}`} class="inline">
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.children}
      <button type="submit" class={props.danger ? 'danger' : ''} name={props.name}>
        {props.label}
      </button>
    </form>
  );
}

export function Layout(props: { title: string; page?: PageName; operator?: string; csrf?: string; children: Child; head?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · Puerta console</title>
        <link rel="stylesheet" href={`${CONSOLE_PATH}/static/console.css`} />
        {props.head}
        <script src={`${CONSOLE_PATH}/static/console.js`} defer></script>
      </head>
      <body>
        <header>
          <strong>Puerta</strong>
          {props.page ? (
            <nav>
              {NAV.map(([id, label]) => (
                <a href={`${CONSOLE_PATH}/${id}`} class={id === props.page ? 'here' : ''}>
                  {label}
                </a>
              ))}
            </nav>
          ) : null}
          {props.operator && props.csrf ? (
            <span class="who">
              {props.operator} <ActionForm action="logout" csrf={props.csrf} label="Log out" />
            </span>
          ) : null}
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)} ms`);
export const bytes = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${n} B`);
