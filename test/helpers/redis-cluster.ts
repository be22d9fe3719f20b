import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exited, freePort, spawnRedis, waitForPort } from './redis.ts';

const run = promisify(execFile);

/**
 * A real Redis Cluster on loopback: `masters` masters with one replica each, every node a
 * redis-server started with --cluster-enabled yes (bus ports picked free too, not port + 10000),
 * joined by `redis-cli --cluster create`. No persistence. Stopped by PID.
 */
export interface RedisCluster {
  /** Seed nodes, as `redis.nodes` takes them. */
  nodes: Array<{ host: string; port: number }>;
  /** `redis-cli` against one node. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** Port of the master serving `key`'s hash slot now. */
  masterFor(key: string): Promise<number>;
  /**
   * A manual failover (CLUSTER FAILOVER, sent to a replica) of the master serving `key`: the
   * replica catches up, then takes over. Resolves once the replica reports itself master.
   */
  failover(key: string): Promise<{ from: number; to: number }>;
  close(): Promise<void>;
}

interface Node {
  port: number;
  child: ChildProcess;
}

async function clusterOk(port: number): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
    return stdout.includes('cluster_state:ok');
  } catch {
    return false;
  }
}

async function until(what: string, fn: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`redis cluster: ${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRedisCluster(opts: { masters?: number } = {}): Promise<RedisCluster> {
  const masters = opts.masters ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'puerta-redis-cluster-'));
  const nodes: Node[] = [];
  const cli = async (port: number, ...args: string[]) => (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim();
  try {
    for (let i = 0; i < masters * 2; i++) {
      const port = await freePort();
      const bus = await freePort();
      const args = [
        '--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1', '--protected-mode', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '3000',
        '--save', '', '--appendonly', 'no', '--dir', dir,
      ];
      nodes.push({ port, child: spawnRedis(args, dir) });
    }
    await Promise.all(nodes.map((n) => waitForPort(n.port, 10_000)));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes']);
    await until('cluster_state:ok on every node', async () => (await Promise.all(nodes.map((n) => clusterOk(n.port)))).every(Boolean), 20_000);
  } catch (err) {
    for (const n of nodes) n.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  /** `CLUSTER NODES` lines: id, address, flags, master id, …, slot ranges. */
  const table = async (port: number) =>
    (await cli(port, 'cluster', 'nodes')).split('\n').map((l) => {
      const f = l.split(' ');
      return { id: f[0]!, port: Number(f[1]!.split('@')[0]!.split(':')[1]), flags: f[2]!, master: f[3]!, slots: f.slice(8) };
    });
  const masterFor = async (key: string) => {
    const slot = Number(await cli(nodes[0]!.port, 'cluster', 'keyslot', key));
    const rows = await table(nodes[0]!.port);
    const owner = rows.find((r) => r.flags.includes('master') && !r.flags.includes('fail') && r.slots.some((s) => {
      const [a, b] = s.split('-').map(Number);
      return slot >= a! && slot <= (b ?? a)!;
    }));
    if (!owner) throw new Error(`redis cluster: no master serves slot ${slot}`);
    return owner.port;
  };

  return {
    nodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    cli,
    masterFor,
    async failover(key) {
      const from = await masterFor(key);
      // A replica shows under its master only once gossip has carried its CLUSTER REPLICATE (or,
      // after an earlier failover, the old master's demotion): cluster_state:ok comes before that.
      const replicaOf = async () => {
        const rows = await table(from);
        const me = rows.find((r) => r.port === from)!;
        return rows.find((r) => r.master === me.id && r.flags.includes('slave') && !r.flags.includes('fail'));
      };
      let replica = await replicaOf();
      await until(`a replica of master ${from} to fail over to`, async () => (replica ??= await replicaOf()) !== undefined, 15_000);
      if (!replica) throw new Error(`redis cluster: master ${from} has no replica to fail over to`);
      const to = replica.port;
      await cli(to, 'cluster', 'failover');
      await until(`replica ${to} promoted`, async () => (await cli(to, 'role')).startsWith('master'), 15_000);
      await until('cluster_state:ok after the failover', async () => (await Promise.all(nodes.map((n) => clusterOk(n.port)))).every(Boolean), 15_000);
      return { from, to };
    },
    async close() {
      for (const n of nodes) {
        try {
          process.kill(n.child.pid!, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      await Promise.all(nodes.map((n) => exited(n.child)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
