import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { Child } from 'hono/jsx';
import { z } from 'zod';
import { PuertaError } from '../../shared/errors.ts';
import { tenantIdSchema } from '../../shared/tenants.ts';
import { queryUsage } from '../admin/usage-query.ts';
import type { OperatorEvent } from '../audit/operator-record.ts';
import { daysBetween } from '../quota/day.ts';
import { csrfRefusal, crossOrigin } from './csrf.ts';
import type { ConsoleDeps } from './deps.ts';
import { engineStates, setModelLoaded } from './engines.ts';
import { LoginLimiter } from './login-limit.ts';
import { AuditPage } from './pages/audit.tsx';
import { Layout, type PageName } from './pages/layout.tsx';
import { LoginPage } from './pages/login.tsx';
import { ModelsFragment, ModelsPage, type DrainState } from './pages/models.tsx';
import { NowFragment, NowPage } from './pages/now.tsx';
import { TenantsPage, type IssuedKey, type TodayUse } from './pages/tenants.tsx';
import { TimeoutsPage } from './pages/timeouts.tsx';
import { TryPage, type TryIssued } from './pages/try.tsx';
import { RetrievalFragment, RetrievalPage } from './pages/retrieval.tsx';
import { retrievalView } from './retrieval-view.ts';
import { batchesView } from './batches-view.ts';
import { BatchesFragment, BatchesPage } from './pages/batches.tsx';
import { timeoutChain } from './timeout-chain.ts';
import { UsagePage, type UsageChart } from './pages/usage.tsx';
import { verifyPassword } from './password.ts';
import { CONSOLE_PATH, Sessions, type Session } from './session.ts';
import { htmlEvents } from './sse.ts';
import { staticAsset, UPLOT_VERSION } from './static.ts';
import { usageCsv } from './usage-csv.ts';

type ConsoleEnv = { Variables: { session: Session } };

/** Scripts connect to the console itself and, for Try it, to the edge's origin only. */
const csp = (edgeUrl: string | undefined) =>
  `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'${edgeUrl ? ` ${edgeUrl}` : ''}; frame-ancestors 'none'; form-action 'self'; base-uri 'none'`;
const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const digest = (s: string) => createHash('sha256').update(s).digest();
const ENGINES_REFRESH_MS = 3_000;
const RETRIEVAL_REFRESH_MS = 1_000;
const BATCHES_REFRESH_MS = 1_000;

const formOf = async (c: Context) => {
  const b = await c.req.parseBody();
  return Object.fromEntries(Object.entries(b).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
};

const createTenantForm = z.object({
  id: tenantIdSchema,
  name: z.string().max(200).optional(),
  models: z.string().optional(),
  requests: z.coerce.number().int().positive('requests per window: a whole number above 0').default(600),
  window: z.union([z.literal('10'), z.literal('60')], { error: 'window: 10 or 60 seconds' }).default('60'),
});
const editTenantForm = createTenantForm.omit({ id: true, name: true });
const modelForm = z.object({ upstream: z.string().min(1, 'upstream: required'), model: z.string().min(1, 'model: required').max(300) });
const dayForm = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'day: YYYY-MM-DD') });
const EXPORT_MAX_DAYS = 366;
const exportForm = z
  .object({ tenant: tenantIdSchema, from: dayForm.shape.day, to: dayForm.shape.day })
  .refine((f) => f.from <= f.to, { message: 'from: the first day must not be after the last (to)', path: ['from'] })
  .refine((f) => Date.parse(f.to) - Date.parse(f.from) < EXPORT_MAX_DAYS * 86_400_000, { message: `to: at most ${EXPORT_MAX_DAYS} days in one export`, path: ['to'] });
const labelForm = z.object({ label: z.string().max(200).optional() });
const tryKeyForm = z.object({ tenant: tenantIdSchema });

function firstIssue(e: z.ZodError): string {
  const i = e.issues[0]!;
  return i.path.length && !i.message.startsWith(String(i.path[0])) ? `${i.path.join('.')}: ${i.message}` : i.message;
}

/**
 * The operator console under /console: login, then Now, Engines & models, Tenants & keys, Usage
 * and Audit. Every POST passes the session and CSRF checks; every action is recorded with the
 * operator's name (ConsoleDeps.record).
 */
export function consoleApp(d: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const sessions = new Sessions(d.cfg.sessionTtlMs, d.cfg.secureCookie);
  const limiter = new LoginLimiter(d.cfg.loginFailuresPerMinute);
  const CSP = csp(d.cfg.edgeUrl);

  const page = (c: Context<ConsoleEnv>, title: string, name: PageName, body: Child, status: 200 | 400 | 404 | 409 | 502 | 503 = 200, head?: Child) => {
    const s = c.get('session');
    return c.html(
      <Layout title={title} page={name} operator={s.operator} csrf={s.csrf} head={head}>
        {body}
      </Layout>,
      status,
    );
  };
  const act = (c: Context<ConsoleEnv>, e: Omit<OperatorEvent, 'operator'>) => d.record({ operator: c.get('session').operator, ...e });
  /** An event stream of a fragment rendered every `everyMs` (sent when it changed; null: nothing to send this time). */
  const rerendered = (c: Context<ConsoleEnv>, everyMs: number, render: () => Promise<string | null>) =>
    htmlEvents(c, d.drain, (send) => {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const tick = async () => {
        if (stopped) return;
        const html = await render();
        if (html !== null) send(html);
        if (!stopped) timer = setTimeout(() => void tick(), everyMs);
      };
      void tick();
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    });

  app.onError((err, c) => {
    d.log.error({ err: err.message }, 'console: request failed');
    return c.text('the console could not answer this request; see the origin log', 500);
  });

  app.use('*', async (c, next) => {
    await next();
    c.header('content-security-policy', CSP);
    c.header('x-frame-options', 'DENY');
    // same-origin, not no-referrer: with no-referrer the browser sends `Origin: null` on the console's own forms.
    c.header('referrer-policy', 'same-origin');
    c.header('x-content-type-options', 'nosniff');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });

  app.get('/static/:name', (c) => staticAsset(c, c.req.param('name')) ?? c.text('no such file', 404));

  app.get('/login', (c) => c.html(<LoginPage />));
  app.post('/login', async (c) => {
    if (crossOrigin(c)) return c.text('refused: a login must come from the console\'s own page (Origin)', 403);
    const wait = limiter.retryAfterS();
    if (wait > 0) {
      if (limiter.firstRefusal()) d.record({ operator: '(unknown)', action: 'login_refused', reason: 'rate_limited', outcome: 'failed' });
      c.header('retry-after', String(wait));
      return c.html(<LoginPage error={`Too many failed logins: try again in ${wait} s.`} />, 429);
    }
    const f = await formOf(c);
    const user = f.user ?? '';
    const userOk = timingSafeEqual(digest(user), digest(d.cfg.user));
    const passOk = await verifyPassword(f.password ?? '', d.cfg.passwordHash);
    if (!userOk || !passOk) {
      limiter.failed();
      d.record({ operator: userOk ? d.cfg.user : '(unknown)', action: 'login_refused', reason: 'wrong_credentials', outcome: 'failed' });
      return c.html(<LoginPage error="Wrong operator name or password." user={userOk ? user : ''} />, 401);
    }
    const s = sessions.create(d.cfg.user);
    sessions.setCookie(c, s);
    d.record({ operator: s.operator, action: 'login' });
    return c.redirect(`${CONSOLE_PATH}/now`, 303);
  });

  // Everything below needs a session; every POST also the CSRF token and a same-origin request.
  app.use('*', async (c, next) => {
    const s = sessions.of(c);
    if (!s) {
      if (c.req.method === 'GET' && !c.req.path.startsWith(`${CONSOLE_PATH}/events/`) && !c.req.path.endsWith('.csv')) return c.redirect(`${CONSOLE_PATH}/login`, 303);
      return c.text('not logged in to the console', 401);
    }
    c.set('session', s);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const refusal = await csrfRefusal(c, s.csrf);
      if (refusal) return c.text(`refused (${refusal}): console actions must come from the console's own page, with its CSRF token`, 403);
    }
    await next();
  });

  app.post('/logout', (c) => {
    act(c, { action: 'logout' });
    sessions.end(c);
    return c.redirect(`${CONSOLE_PATH}/login`, 303);
  });
  app.get('/', (c) => c.redirect(`${CONSOLE_PATH}/now`, 303));

  // Now
  app.get('/now', async (c) => page(c, 'Now', 'now', <NowPage view={await d.board.view()} />));
  app.get('/events/now', (c) =>
    htmlEvents(c, d.drain, (send) => {
      const render = (v: Awaited<ReturnType<typeof d.board.view>>) => send(String(<NowFragment view={v} />));
      void d.board.view().then(render);
      return d.board.watch(render);
    }),
  );

  // Engines & models
  const engines = () => engineStates(d.upstreams, d.health(), d.gpuMemory, d.engineLoad, d.engineMeasures);
  const drainState = async (): Promise<DrainState> => {
    const inflight: Record<string, number> = {};
    for (const r of (await d.board.view()).replicas) for (const s of r.streams) if (s.upstream) inflight[s.upstream] = (inflight[s.upstream] ?? 0) + 1;
    return { drained: d.drains?.current() ?? new Set(), inflight, scope: d.drains?.shared ? 'every replica' : 'this replica', available: d.drains !== undefined };
  };
  const modelsPage = async (c: Context<ConsoleEnv>, notice?: string, status: 200 | 400 | 404 | 502 = 200) =>
    page(c, 'Engines & models', 'models', <ModelsPage engines={await engines()} csrf={c.get('session').csrf} drains={await drainState()} notice={notice} />, status);
  app.get('/models', (c) => modelsPage(c));
  app.get('/events/models', (c) => {
    const csrf = c.get('session').csrf;
    return rerendered(c, ENGINES_REFRESH_MS, async () => String(<ModelsFragment engines={await engines()} csrf={csrf} drains={await drainState()} />));
  });
  for (const [path, load] of [['unload', false], ['warm', true]] as const) {
    app.post(`/models/${path}`, async (c) => {
      const f = modelForm.safeParse(await formOf(c));
      if (!f.success) return modelsPage(c, firstIssue(f.error), 400);
      const u = d.upstreams.find((x) => x.name === f.data.upstream);
      if (!u) return modelsPage(c, `no upstream '${f.data.upstream}'`, 404);
      const target = `${u.name}/${f.data.model}`;
      try {
        await setModelLoaded(u, f.data.model, load);
      } catch (err) {
        const code = (err instanceof PuertaError ? err.code : null) ?? 'not_supported';
        act(c, { action: load ? 'model_warmed' : 'model_unloaded', target, outcome: 'failed', reason: code });
        return modelsPage(c, `${load ? 'loading' : 'unloading'} ${target} failed: ${code}`, 502);
      }
      act(c, { action: load ? 'model_warmed' : 'model_unloaded', target });
      return modelsPage(c, `${target} ${load ? 'loaded' : 'unloaded'}`);
    });
  }

  for (const [path, drained] of [['drain', true], ['resume', false]] as const) {
    app.post(`/engines/${path}`, async (c) => {
      const f = modelForm.pick({ upstream: true }).safeParse(await formOf(c));
      if (!f.success) return modelsPage(c, firstIssue(f.error), 400);
      if (!d.drains || !d.upstreams.some((u) => u.name === f.data.upstream)) return modelsPage(c, `no upstream '${f.data.upstream}' to ${path}`, 404);
      try {
        await d.drains.set(f.data.upstream, drained);
      } catch (err) {
        act(c, { action: drained ? 'engine_drained' : 'engine_resumed', target: f.data.upstream, outcome: 'failed', reason: 'redis_unavailable' });
        d.log.warn({ err: (err as Error).message }, 'console: drain not shared with the other replicas');
        return modelsPage(c, `${f.data.upstream}: ${drained ? 'drained' : 'resumed'} on this replica only (Redis did not answer)`, 502);
      }
      act(c, { action: drained ? 'engine_drained' : 'engine_resumed', target: f.data.upstream });
      return modelsPage(c, `${f.data.upstream} ${drained ? 'draining: no new requests, open streams run on' : 'back in rotation'}`);
    });
  }

  // Tenants & keys
  const todayUse = async (): Promise<TodayUse> => {
    const out: TodayUse = {};
    if (!d.quota) return out;
    const today = dayOf(Date.now());
    let rows: Awaited<ReturnType<typeof queryUsage>>['rows'] = [];
    try {
      rows = (await queryUsage(d.quota, { from: today, to: today })).rows;
    } catch (err) {
      d.log.warn({ err: (err as Error).message }, 'console: usage store unavailable for the tenants page');
    }
    for (const { tenant } of d.tenants.list()) {
      const l = d.quota.limitsFor(tenant.id);
      const mine = rows.filter((r) => r.tenant === tenant.id);
      out[tenant.id] = { requests: mine.reduce((a, r) => a + r.requests, 0), tokens: mine.reduce((a, r) => a + r.promptTokens + r.completionTokens, 0), dailyTokens: l.dailyTokens, requestsPerMinute: l.requestsPerMinute };
    }
    return out;
  };
  const tenantsPage = async (c: Context<ConsoleEnv>, o: { issued?: IssuedKey; notice?: string; error?: string } = {}, status: 200 | 400 | 404 | 409 = 200) =>
    page(c, 'Tenants & keys', 'tenants', <TenantsPage list={d.tenants.list()} csrf={c.get('session').csrf} file={d.tenants.file} today={await todayUse()} {...o} />, status);
  app.get('/tenants', (c) => tenantsPage(c));
  app.post('/tenants', async (c) => {
    const f = createTenantForm.safeParse(await formOf(c));
    if (!f.success) return tenantsPage(c, { error: firstIssue(f.error) }, 400);
    const models = (f.data.models ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    try {
      const { key, record } = await d.tenants.create({ id: f.data.id, name: f.data.name || undefined, models, requests: f.data.requests, windowSeconds: Number(f.data.window) as 10 | 60 });
      act(c, { action: 'tenant_created', target: f.data.id });
      act(c, { action: 'key_issued', target: `${f.data.id}/${record.id}` });
      return tenantsPage(c, { issued: { tenant: f.data.id, keyId: record.id, key } });
    } catch (err) {
      return tenantsPage(c, { error: (err as Error).message }, 409);
    }
  });
  app.post('/tenants/:id/keys', async (c) => {
    const id = tenantIdSchema.safeParse(c.req.param('id'));
    const f = labelForm.safeParse(await formOf(c));
    if (!id.success || !f.success) return tenantsPage(c, { error: id.success ? firstIssue(f.error!) : firstIssue(id.error) }, 400);
    try {
      const { key, record } = await d.tenants.issueKey(id.data, f.data.label || undefined);
      act(c, { action: 'key_issued', target: `${id.data}/${record.id}` });
      return tenantsPage(c, { issued: { tenant: id.data, keyId: record.id, key } });
    } catch (err) {
      return tenantsPage(c, { error: (err as Error).message }, 404);
    }
  });
  app.post('/keys/:id/revoke', async (c) => {
    try {
      const rec = await d.tenants.revokeKey(c.req.param('id'));
      act(c, { action: 'key_revoked', target: `${rec.tenant}/${rec.id}` });
      return tenantsPage(c, { notice: `key ${rec.id} of ${rec.tenant} revoked` });
    } catch (err) {
      return tenantsPage(c, { error: (err as Error).message }, 404);
    }
  });
  app.post('/tenants/:id/edit', async (c) => {
    const f = editTenantForm.safeParse(await formOf(c));
    if (!f.success) return tenantsPage(c, { error: firstIssue(f.error) }, 400);
    const models = (f.data.models ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    try {
      const t = await d.tenants.update(c.req.param('id'), { models, requests: f.data.requests, windowSeconds: Number(f.data.window) as 10 | 60 });
      act(c, { action: 'tenant_updated', target: t.id });
      return tenantsPage(c, { notice: `tenant ${t.id}: models ${t.models.length ? t.models.join(', ') : 'all'}, ${t.rateLimit.requests} requests per ${t.rateLimit.windowSeconds} s` });
    } catch (err) {
      return tenantsPage(c, { error: (err as Error).message }, 404);
    }
  });
  app.get('/tenants/export/:file', (c) => {
    const kind = ({ 'fastly.json': 'fastly', 'workers.json': 'workers' } as const)[c.req.param('file') as 'fastly.json' | 'workers.json'];
    if (!kind) return c.text('export fastly.json (Fastly KV) or workers.json (wrangler kv bulk put)', 404);
    act(c, { action: 'tenants_exported', target: kind });
    return c.body(JSON.stringify(d.tenants.exportFor(kind), null, 2) + '\n', 200, { 'content-type': 'application/json', 'content-disposition': `attachment; filename="puerta-tenants-${kind}-kv.json"` });
  });
  for (const [path, status] of [['suspend', 'suspended'], ['activate', 'active']] as const) {
    app.post(`/tenants/:id/${path}`, async (c) => {
      try {
        const t = await d.tenants.setStatus(c.req.param('id'), status);
        act(c, { action: status === 'active' ? 'tenant_activated' : 'tenant_suspended', target: t.id });
        return tenantsPage(c, { notice: `tenant ${t.id} ${status}` });
      } catch (err) {
        return tenantsPage(c, { error: (err as Error).message }, 404);
      }
    });
  }

  // Usage
  const usageError = (c: Context<ConsoleEnv>, err: unknown) => {
    if (!(err instanceof PuertaError)) throw err;
    return page(c, 'Usage', 'usage', <p class="error">{err.message}</p>, err.status === 404 ? 404 : err.status === 400 ? 400 : 503);
  };
  app.get('/usage', async (c) => {
    const day = c.req.query('day') || dayOf(Date.now() - DAY_MS);
    try {
      const one = await queryUsage(d.quota, { from: day, to: day });
      const from = dayOf(Date.parse(`${day}T00:00:00Z`) - 13 * DAY_MS);
      const span = await queryUsage(d.quota, { from, to: day });
      const days = daysBetween(from, day);
      const tenants = [...new Set(span.rows.map((r) => r.tenant))].sort();
      const tokens = tenants.map((t) => days.map((x) => span.rows.filter((r) => r.tenant === t && r.day === x).reduce((a, r) => a + r.promptTokens + r.completionTokens, 0)));
      const chart: UsageChart = { days: days.map((x) => Date.parse(`${x}T00:00:00Z`) / 1000), tenants, tokens };
      const head = (
        <>
          <link rel="stylesheet" href={`${CONSOLE_PATH}/static/uplot-${UPLOT_VERSION}.css`} />
          <script src={`${CONSOLE_PATH}/static/uplot-${UPLOT_VERSION}.js`} defer></script>
        </>
      );
      return page(c, 'Usage', 'usage', <UsagePage day={one.from} rows={one.rows} chart={chart} from={from} to={day} store={one.store} />, 200, head);
    } catch (err) {
      return usageError(c, err);
    }
  });
  app.get('/usage.csv', async (c) => {
    try {
      const u = await queryUsage(d.quota, c.req.query());
      return c.body(usageCsv(u.rows), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="puerta-usage-${u.from}_${u.to}.csv"` });
    } catch (err) {
      if (err instanceof PuertaError) return c.text(err.message, err.status === 400 ? 400 : err.status === 404 ? 404 : 503);
      throw err;
    }
  });

  // Audit
  const auditPage = async (c: Context<ConsoleEnv>, notice?: string, status: 200 | 400 = 200) =>
    page(
      c,
      'Audit',
      'audit',
      <AuditPage days={d.auditDays ? await d.auditDays.list() : null} dir={d.auditDays?.dir ?? null} policy={d.auditPolicy} audited={d.audited} csrf={c.get('session').csrf} notice={notice} />,
      status,
    );
  app.get('/audit', (c) => auditPage(c));
  app.post('/audit/verify', async (c) => {
    const f = dayForm.safeParse(await formOf(c));
    if (!f.success) return auditPage(c, firstIssue(f.error), 400);
    if (!d.auditDays) return auditPage(c, 'no audit directory is configured (AUDIT_DIR)', 400);
    const r = await d.auditDays.verify(f.data.day);
    act(c, { action: 'audit_verified', target: f.data.day, outcome: r.ok ? 'ok' : 'failed', reason: r.ok ? undefined : 'chain_broken' });
    return auditPage(c, `${f.data.day}: ${r.ok ? 'INTACT' : 'BROKEN'} (${r.records} records in ${r.files.length} file(s))`);
  });
  // A POST (CSRF-checked and audited like any action) whose answer is the download itself.
  app.post('/audit/export', async (c) => {
    const f = exportForm.safeParse(await formOf(c));
    if (!f.success) return auditPage(c, firstIssue(f.error), 400);
    if (!d.auditDays) return auditPage(c, 'no audit directory is configured (AUDIT_DIR)', 400);
    const { tenant, from, to } = f.data;
    const r = await d.auditDays.exportTenant(tenant, from, to);
    if (r.failed.length > 0) {
      act(c, { action: 'audit_exported', target: tenant, outcome: 'failed', reason: 'chain_broken' });
      return auditPage(c, `not exported: ${r.failed.join(', ')} failed verification (npm run audit -- export --force hands such days over for an investigation)`, 400);
    }
    act(c, { action: 'audit_exported', target: tenant, outcome: 'ok' });
    const body = r.lines.length ? `${r.lines.join('\n')}\n` : '';
    return c.body(body, 200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-disposition': `attachment; filename="puerta-audit-${tenant}-${from}_${to}.jsonl"` });
  });

  // Retrieval
  const retrieval = () => (d.retrieval ? retrievalView(d.retrieval, [...d.tenants.list().map((t) => t.tenant.id), ...d.extraTenants]) : Promise.resolve(null));
  app.get('/retrieval', async (c) => page(c, 'Retrieval', 'retrieval', <RetrievalPage view={await retrieval()} />));
  // Jobs report progress in memory; the fragment is rendered each second and sent when it changed.
  app.get('/events/retrieval', (c) => rerendered(c, RETRIEVAL_REFRESH_MS, async () => {
    const v = await retrieval().catch(() => null);
    return v ? String(<RetrievalFragment view={v} />) : null;
  }));

  // Batches: read from the shared store each second (every replica's progress), sent when changed.
  const batches = () => (d.batch ? batchesView(d.batch, [...d.tenants.list().map((t) => t.tenant.id), ...d.extraTenants]) : Promise.resolve(null));
  app.get('/batches', async (c) => page(c, 'Batches', 'batches', <BatchesPage rows={await batches()} />));
  app.get('/events/batches', (c) => rerendered(c, BATCHES_REFRESH_MS, async () => {
    const rows = await batches().catch(() => null);
    return rows ? String(<BatchesFragment rows={rows} />) : null;
  }));

  // Try it: the page only; the request itself goes from the browser to the edge (static.ts).
  const tryPage = (c: Context<ConsoleEnv>, o: { issued?: TryIssued; error?: string } = {}, status: 200 | 400 | 404 = 200) =>
    page(c, 'Try it', 'try', <TryPage edgeUrl={d.cfg.edgeUrl} tenants={d.tenants.list().filter((t) => t.tenant.status === 'active').map((t) => t.tenant.id)} csrf={c.get('session').csrf} {...o} />, status);
  app.get('/try', (c) => tryPage(c));
  app.post('/try/key', async (c) => {
    const f = tryKeyForm.safeParse(await formOf(c));
    if (!f.success) return tryPage(c, { error: firstIssue(f.error) }, 400);
    try {
      const { key, record } = await d.tenants.issueKey(f.data.tenant, 'console try it');
      act(c, { action: 'key_issued', target: `${f.data.tenant}/${record.id}` });
      return tryPage(c, { issued: { tenant: f.data.tenant, keyId: record.id, key } });
    } catch (err) {
      return tryPage(c, { error: (err as Error).message }, 404);
    }
  });

  // The timeout chain
  app.get('/timeouts', async (c) => {
    const chain = d.metricsText ? timeoutChain(await d.metricsText(), d.timeoutToday.today, d.timeoutToday.edgeSource) : null;
    return page(c, 'Timeout chain', 'timeouts', <TimeoutsPage chain={chain} />);
  });

  return app;
}
