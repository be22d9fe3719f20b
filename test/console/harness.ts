import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { ensureSecretsFile, writeTenantsFile } from '../../edge/cli/tenants-file.ts';
import { deepMerge } from '../../origin/config/load.ts';
import { hashPassword } from '../../origin/console/password.ts';
import { startOriginStack, type OriginStack } from '../../sre/bench/lib/origin-stack.ts';
import type { SimOptions } from '../../sim/index.ts';

export const OPERATOR = { user: 'operator', password: 'correct horse battery staple' };

export interface ConsoleStack extends OriginStack {
  dir: string;
  tenantsFile: string;
  auditDir: string;
  browser: Browser;
  /** The console's base URL on the origin. */
  console: string;
  /** With edgeSigned: the secrets file a local edge signs with (startLocalEdge secretsFile). */
  edgeSecretsFile?: string;
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
}

/**
 * The simulator, an origin checking tenant keys itself (auth mode keys) against a fresh tenants
 * file, an audit directory, the console with a known operator, and headless Chromium.
 */
export async function startConsoleStack(
  opts: { origin?: Record<string, unknown>; sim?: Partial<SimOptions>; upstream?: Record<string, unknown>; edgeSigned?: boolean; consoleEdgeUrl?: string } = {},
): Promise<ConsoleStack> {
  const dir = mkdtempSync(join(tmpdir(), 'puerta-console-'));
  const tenantsFile = join(dir, 'tenants.json');
  const auditDir = join(dir, 'audit');
  writeTenantsFile(tenantsFile, {});
  // A cheap scrypt cost: the test is about the flow, not the hash's strength.
  const passwordHash = await hashPassword(OPERATOR.password, 1024);
  // edgeSigned: the origin accepts only requests a local edge signed (as npm start runs it).
  const edgeSecretsFile = opts.edgeSigned ? join(dir, 'edge-secrets.json') : undefined;
  const base = {
    auth: edgeSecretsFile ? { mode: 'edge', edgeSecret: ensureSecretsFile(edgeSecretsFile), tenantsFile } : { mode: 'keys', tenantsFile },
    audit: { node: 'console-test', batchWindowMs: 50, file: { dir: auditDir, fsync: false } },
    console: { user: OPERATOR.user, passwordHash, ...(opts.consoleEdgeUrl ? { edgeUrl: opts.consoleEdgeUrl } : {}) },
  };
  const stack = await startOriginStack({ origin: deepMerge(base, opts.origin ?? {}), ...(opts.sim ? { sim: opts.sim } : {}), ...(opts.upstream ? { upstream: opts.upstream } : {}) });
  const browser = await launchBrowser();
  return {
    ...stack,
    dir,
    tenantsFile,
    auditDir,
    browser,
    console: `${stack.origin.url}/console`,
    ...(edgeSecretsFile ? { edgeSecretsFile } : {}),
    async close() {
      await browser.close();
      await stack.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Logs in the way an operator does: the login form, then the Now page. */
export async function login(page: Page, consoleUrl: string, password = OPERATOR.password): Promise<void> {
  await page.goto(`${consoleUrl}/login`);
  await page.type('input[name=user]', OPERATOR.user);
  await page.type('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

/** Submits the form that holds `selector` (a button) and waits for the page it answers with. */
export async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** The audit trail's operator records so far (every file of the directory). */
export async function operatorRecords(auditDir: string): Promise<Array<Record<string, unknown>>> {
  const { readdirSync, readFileSync } = await import('node:fs');
  const out: Array<Record<string, unknown>> = [];
  let names: string[] = [];
  try {
    names = readdirSync(auditDir);
  } catch {
    return out;
  }
  for (const n of names.filter((x) => x.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(auditDir, n), 'utf8').split('\n')) {
      if (line.startsWith('{"type":"operator"')) out.push(JSON.parse(line) as Record<string, unknown>);
    }
  }
  return out;
}
