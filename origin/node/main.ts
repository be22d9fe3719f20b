import { ConfigError } from '../config/load.ts';
import { startOrigin } from './server.ts';

/** `npm run origin`: the origin alone, configured by environment (and PUERTA_ORIGIN_CONFIG). */
async function main(): Promise<void> {
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
