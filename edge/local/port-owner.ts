import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Whether process `pid` holds the socket listening on 127.0.0.1:`port` (Linux /proc). A server
 * that answers on a port is not necessarily the one just started: a port picked as free can be
 * taken by another process before the new server binds it, and the new one then fails while
 * the other keeps answering. Returns undefined where /proc cannot tell (not Linux).
 */
export function holdsListeningPort(pid: number, port: number): boolean | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8') + readFileSync('/proc/net/tcp6', 'utf8');
  } catch {
    return undefined;
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is the tenth field.
    if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A' && f[9]) inodes.add(`socket:[${f[9]}]`);
  }
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    try {
      if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true;
    } catch {
      // The fd closed while we looked.
    }
  }
  return false;
}
