import { ConfigError, ENV_MAP, UPSTREAM_ENV } from '../config/load.ts';
import { cliArgs } from '../../shared/cli.ts';
import { startOrigin } from './server.ts';

/** Every variable the origin reads, wrapped to the width of a terminal. */
function envList(): string {
  const names = ['OLLAMA_URL', 'PUERTA_ORIGIN_CONFIG', ...[...ENV_MAP, ...UPSTREAM_ENV].map(([env]) => env)];
  const lines: string[] = [];
  let line = ' ';
  for (const n of names) {
    if (line.length + n.length + 2 > 100) {
      lines.push(line.trimEnd());
      line = ' ';
    }
    line += ` ${n},`;
  }
  lines.push(line.replace(/,$/, ''));
  return lines.join('\n');
}

const USAGE = `usage: npm run origin   (built: puerta-origin)

  the origin alone; it takes no flags: it is configured by the environment and an optional JSON
  file named by PUERTA_ORIGIN_CONFIG (the environment wins over the file). README "Origin
  configuration" and infra/origin/origin.env.example describe each setting.

  environment:
${envList()}

  --help   this text`;

/** `npm run origin`: the origin alone, configured by environment (and PUERTA_ORIGIN_CONFIG). */
async function main(): Promise<void> {
  cliArgs({ name: 'origin', usage: USAGE, options: {} });
  let origin;
  try {
    origin = await startOrigin();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG: a supervisor should not restart-loop on a bad configuration.
    }
    // Start failures (a taken port, an audit sink that cannot open) say what and where; exit 1.
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  const stop = (signal: string) => {
    origin.deps.log.info({ signal }, 'signal received');
    origin.shutdown().then(
      () => process.exit(0),
      (err) => {
        origin.deps.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await main();
