import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort } from '../../sre/bench/lib/free-port.ts';
import { exited } from './redis.ts';

/** Debian's postgresql-15 (scripts/ensure-system-deps.sh installs it). */
const BIN = '/usr/lib/postgresql/15/bin';

/**
 * A real Postgres server (Debian's postgresql-15) on a free 127.0.0.1 port in its own temp dir,
 * the way the tests run redis-server: the production path of the batch and retrieval stores is
 * the operator's Postgres. Postgres refuses to run as root: as root, the cluster belongs to the
 * `postgres` user the package creates and the server runs as it. Stopped by its own PID.
 */
export interface PostgresServer {
  url: string;
  pid(): number | undefined;
  close(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'puerta-pg-'));
  const data = join(dir, 'data');
  const asUser = userInfo().uid === 0 ? pgUser() : {};
  if ('uid' in asUser) chownSync(dir, asUser.uid!, asUser.gid!);
  const init = spawnSync(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'], { ...asUser, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const child: ChildProcess = spawn(join(BIN, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=100'], { ...asUser, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`SELECT 1`;
      await sql.end();
      break;
    } catch {
      await sql.end({ timeout: 0 }).catch(() => {});
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`postgres did not start on 127.0.0.1:${port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    pid: () => child.pid,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT: Postgres's fast shutdown (ends sessions, no wait for clients).
        child.kill('SIGINT');
        await exited(child);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function pgUser(): { uid?: number; gid?: number } {
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) throw new Error('running as root needs the `postgres` user (install postgresql-15: scripts/ensure-system-deps.sh postgresql)');
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
