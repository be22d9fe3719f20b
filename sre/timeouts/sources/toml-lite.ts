/**
 * Reads the part of TOML that fastly.toml and wrangler.toml use for timeouts: [tables], dotted
 * table names and `key = "string" | number | bool` lines. Inline tables and arrays are skipped
 * (no timeout lives there). No TOML library is installed and one is not worth adding for this.
 */
export type TomlTable = { [key: string]: string | number | boolean | TomlTable };

function unquote(raw: string): string | number | boolean | undefined {
  const v = raw.trim();
  if (v.startsWith('"')) {
    const end = v.indexOf('"', 1);
    return end > 0 ? v.slice(1, end).replace(/\\"/g, '"') : undefined;
  }
  if (v.startsWith("'")) {
    const end = v.indexOf("'", 1);
    return end > 0 ? v.slice(1, end) : undefined;
  }
  const bare = v.replace(/\s+#.*$/, '');
  if (bare === 'true' || bare === 'false') return bare === 'true';
  if (/^[+-]?\d[\d_]*(\.\d+)?$/.test(bare)) return Number(bare.replace(/_/g, ''));
  return undefined;
}

function splitKey(k: string): string[] {
  return k.match(/"[^"]*"|[^.\s]+/g)?.map((p) => p.replace(/^"|"$/g, '')) ?? [];
}

function tableAt(root: TomlTable, path: string[]): TomlTable {
  let cur = root;
  for (const p of path) {
    const next = cur[p];
    if (typeof next !== 'object') cur[p] = {};
    cur = cur[p] as TomlTable;
  }
  return cur;
}

export function parseTomlLite(text: string): TomlTable {
  const root: TomlTable = {};
  let cur = root;
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const header = /^\[([^[\]]+)\]$/.exec(t);
    if (header) {
      cur = tableAt(root, splitKey(header[1]!));
      continue;
    }
    if (t.startsWith('[[')) {
      // Arrays of tables ([[kv_namespaces]]): nothing timeout-related; park their keys aside.
      cur = {};
      continue;
    }
    const eq = /^("[^"]+"|[A-Za-z0-9_.-]+)\s*=\s*(.+)$/.exec(t);
    if (!eq) continue;
    const value = unquote(eq[2]!);
    if (value === undefined) continue;
    const keys = splitKey(eq[1]!);
    tableAt(cur, keys.slice(0, -1))[keys[keys.length - 1]!] = value;
  }
  return root;
}

export function getIn(t: TomlTable, path: string[]): TomlTable[string] | undefined {
  let cur: TomlTable[string] | undefined = t;
  for (const p of path) {
    if (typeof cur !== 'object') return undefined;
    cur = cur[p];
  }
  return cur;
}
