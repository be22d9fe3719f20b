/**
 * npm run tenants -- <command>: the tenants file the edge (and a keys-mode origin) reads; USAGE
 * below is what `--help` prints.
 */
import {
  addKey,
  DEFAULT_SECRETS_FILE,
  DEFAULT_TENANTS_FILE,
  ensureSecretsFile,
  getTenant,
  listTenants,
  putTenant,
  readTenantsFile,
  setKeyStatus,
  toWranglerBulk,
  writeTenantsFile,
} from '../edge/cli/tenants-file.ts';
import { cliArgs } from '../shared/cli.ts';

const USAGE = `usage: npm run tenants -- <command> [flags]   (built: puerta-tenants <command> [flags])

  create <tenant-id> [--name N] [--models a,b] [--countries DE,AT] [--requests 600] [--window 60]
                     [--region eu-central] [--refusal 451|403] [--label L]
      creates the tenant and its first key; prints the key ONCE (only its hash is stored)
  add-key <tenant-id> [--label L]       another key for an existing tenant (rotation)
  revoke-key <key-id>                   the key stops working at the next cache expiry
  suspend <tenant-id> | activate <tenant-id>
  list                                  tenants and key ids (never keys)
  wrangler-bulk                         prints the file as \`wrangler kv bulk put\` input
  init                                  creates the tenants file and the local signing secret

  --file PATH      the one tenants file (or TENANTS_FILE; default .puerta/tenants.json), loaded by
                   fastly.toml's [local_server] kv store, the wrangler/Miniflare local KV and the
                   origin (keys mode)
  --secrets PATH   Fastly local secret store file (default .puerta/edge-secrets.json)
  --help           this text`;

const { values, positionals } = cliArgs({
  name: 'tenants',
  usage: USAGE,
  allowPositionals: true,
  options: {
    file: { type: 'string' },
    secrets: { type: 'string' },
    name: { type: 'string' },
    models: { type: 'string' },
    countries: { type: 'string' },
    requests: { type: 'string' },
    window: { type: 'string' },
    region: { type: 'string' },
    refusal: { type: 'string' },
    label: { type: 'string' },
  },
});

const file = values.file ?? process.env.TENANTS_FILE ?? DEFAULT_TENANTS_FILE;
const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
const [cmd, arg] = positionals;

function need(what: string): string {
  if (!arg) throw new Error(`${cmd}: missing ${what}`);
  return arg;
}

async function main(): Promise<void> {
  const data = readTenantsFile(file);
  switch (cmd) {
    case 'init': {
      writeTenantsFile(file, data);
      ensureSecretsFile(values.secrets ?? DEFAULT_SECRETS_FILE);
      console.log(`tenants file: ${file}\nsigning secret file: ${values.secrets ?? DEFAULT_SECRETS_FILE}`);
      return;
    }
    case 'create': {
      const id = need('<tenant-id>');
      if (getTenant(data, id)) throw new Error(`tenant '${id}' exists; use add-key to give it another key`);
      const tenant = putTenant(data, {
        id,
        ...(values.name ? { name: values.name } : {}),
        ...(values.models ? { models: list(values.models) } : {}),
        ...(values.countries ? { countries: list(values.countries)!.map((c) => c.toUpperCase()) } : {}),
        ...(values.requests || values.window
          ? { rateLimit: { requests: Number(values.requests ?? 600), windowSeconds: Number(values.window ?? 60) as 10 | 60 } }
          : {}),
        ...(values.region ? { originRegion: values.region } : {}),
        ...(values.refusal ? { residencyRefusalStatus: Number(values.refusal) as 451 | 403 } : {}),
      });
      const { key, record } = await addKey(data, tenant.id, values.label);
      writeTenantsFile(file, data);
      console.log(`tenant ${tenant.id} created in ${file} (key id ${record.id})`);
      console.log(`API key (shown once, only its hash is stored):\n\n  ${key}\n`);
      return;
    }
    case 'add-key': {
      const { key, record } = await addKey(data, need('<tenant-id>'), values.label);
      writeTenantsFile(file, data);
      console.log(`key ${record.id} added for ${record.tenant}. API key (shown once):\n\n  ${key}\n`);
      return;
    }
    case 'revoke-key': {
      const rec = setKeyStatus(data, need('<key-id>'), 'revoked');
      writeTenantsFile(file, data);
      console.log(`key ${rec.id} of ${rec.tenant} revoked`);
      return;
    }
    case 'suspend':
    case 'activate': {
      const t = getTenant(data, need('<tenant-id>'));
      if (!t) throw new Error(`no tenant '${arg}'`);
      putTenant(data, { ...t, status: cmd === 'suspend' ? 'suspended' : 'active' });
      writeTenantsFile(file, data);
      console.log(`tenant ${t.id} ${cmd === 'suspend' ? 'suspended' : 'active'}`);
      return;
    }
    case 'list': {
      for (const { tenant, keys } of listTenants(data)) {
        const limits = `${tenant.rateLimit.requests}/${tenant.rateLimit.windowSeconds}s`;
        const countries = tenant.countries.length ? tenant.countries.join(',') : 'any';
        const models = tenant.models.length ? tenant.models.join(',') : 'all';
        console.log(`${tenant.id}\t${tenant.status}\tlimit ${limits}\tcountries ${countries}\tmodels ${models}`);
        for (const k of keys) console.log(`  key ${k.id}\t${k.status}${k.label ? `\t${k.label}` : ''}`);
      }
      return;
    }
    case 'wrangler-bulk': {
      console.log(JSON.stringify(toWranglerBulk(data), null, 2));
      return;
    }
    default:
      console.error(`tenants: ${cmd ? `unknown command '${cmd}'` : 'no command'}; one of create, add-key, revoke-key, suspend, activate, list, wrangler-bulk, init (--help for usage)`);
      process.exitCode = 2;
  }
}

main().catch((e: unknown) => {
  console.error(`tenants: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
