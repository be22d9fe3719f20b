import { createWriteStream } from 'node:fs';
import { exportTenant } from './export.ts';
import { utcDay } from './file-names.ts';
import { verifyDay } from './verify.ts';
import { cliArgs } from '../../shared/cli.ts';

const USAGE = `usage:
  npm run audit -- verify [--dir DIR] [--date YYYY-MM-DD] [--node NODE] [--json]
      checks a day's files: hash chain against each seal, links between files, counts.
      exit 0: intact; 1: tampering, truncation or a missing file (each problem is printed).
  npm run audit -- export --tenant ID [--dir DIR] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--node NODE] [--out FILE] [--force]
      writes the tenant's records (JSON Lines) after verifying each day; a day that fails
      verification is left out (exit 2) unless --force.
DIR defaults to $AUDIT_DIR; the chain key, when files use HMAC, is read from $AUDIT_CHAIN_KEY.
Built: puerta-audit verify|export …; --help prints this text.`;

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function fail(msg: string, code = 64): never {
  process.stderr.write(`${msg}\n\n${USAGE}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = cliArgs({
    name: 'audit',
    usage: USAGE,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      date: { type: 'string' },
      node: { type: 'string' },
      json: { type: 'boolean' },
      tenant: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
    },
  }, argv);
  const [cmd, ...extra] = positionals;
  if (extra.length > 0) fail(`unexpected argument '${extra[0]}'`);
  const dir = values.dir ?? process.env.AUDIT_DIR;
  if (!dir) fail('no audit directory: pass --dir or set AUDIT_DIR');
  const chainKey = process.env.AUDIT_CHAIN_KEY || undefined;
  const node = values.node;

  if (cmd === 'verify') {
    const day = values.date ?? utcDay(Date.now());
    if (!DAY_RE.test(day)) fail(`--date ${day}: expected YYYY-MM-DD`);
    const r = await verifyDay(dir, day, { ...(node ? { node } : {}), ...(chainKey ? { chainKey } : {}) });
    if (values.json) {
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    } else {
      process.stdout.write(`audit ${day} in ${dir}: ${r.ok ? 'INTACT' : 'BROKEN'}\n`);
      for (const f of r.files) process.stdout.write(`  ${f.file}: ${f.records} records, ${f.sealed ? 'sealed' : 'not sealed'}${f.errors.length ? `, ${f.errors.length} error(s)` : ''}\n`);
      process.stdout.write(`  records: ${r.records}; by outcome: ${JSON.stringify(r.byOutcome)}; by tenant: ${JSON.stringify(r.byTenant)}\n`);
      if (Object.keys(r.byOperatorAction).length > 0) process.stdout.write(`  operator actions (console): ${JSON.stringify(r.byOperatorAction)}\n`);
      for (const e of r.errors) process.stdout.write(`  ERROR ${e}\n`);
      for (const w of r.warnings) process.stdout.write(`  warning ${w}\n`);
    }
    return r.ok ? 0 : 1;
  }

  if (cmd === 'export') {
    if (!values.tenant) fail('export needs --tenant ID');
    const today = utcDay(Date.now());
    const from = values.from ?? values.date ?? today;
    const to = values.to ?? values.date ?? from;
    for (const [k, v] of [['--from', from], ['--to', to]] as const) if (!DAY_RE.test(v)) fail(`${k} ${v}: expected YYYY-MM-DD`);
    const sink = values.out ? createWriteStream(values.out, { flags: 'wx', mode: 0o600 }) : process.stdout;
    const r = await exportTenant(dir, { tenant: values.tenant, from, to, ...(node ? { node } : {}), ...(chainKey ? { chainKey } : {}), force: values.force === true }, (line) => {
      sink.write(line + '\n');
    });
    if (sink !== process.stdout) await new Promise<void>((res, rej) => (sink as NodeJS.WritableStream).end((err?: Error | null) => (err ? rej(err) : res())));
    process.stderr.write(`exported ${r.records} records of tenant ${values.tenant} from ${r.days.length} day(s) ${from}..${to}\n`);
    for (const d of r.days.filter((x) => !x.ok)) {
      process.stderr.write(`  day ${d.day} FAILED verification${values.force ? ' (exported anyway: --force)' : ' (left out)'}:\n`);
      for (const e of d.errors) process.stderr.write(`    ${e}\n`);
    }
    return r.failed.length > 0 && !values.force ? 2 : 0;
  }

  fail(cmd ? `unknown command '${cmd}'` : 'no command');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`audit: ${(err as Error).message}\n`);
    process.exit(70);
  },
);
