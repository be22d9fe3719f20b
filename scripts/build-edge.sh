#!/usr/bin/env bash
# npm run edge:build — bundles the edge for both runtimes:
#   bin/edge-fastly.js  → js-compute-runtime → bin/main.wasm   (Fastly Compute / Viceroy)
#   bin/edge-workers.js                                          (Cloudflare Workers / workerd)
# Skips everything when no input changed since the last build (hash of edge/, shared/, the lock
# file and this script), so `npm test` pays for the ~10 s wasm compile only after edits.
# EDGE_BUILD_FORCE=1 rebuilds anyway.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bin
stamp=bin/.edge-build.sha256
inputs_hash() {
  {
    find edge shared -type f \( -name '*.ts' -o -name '*.json' \) -print0 | sort -z | xargs -0 sha256sum
    sha256sum package-lock.json scripts/build-edge.sh
  } | sha256sum | cut -d' ' -f1
}
hash="$(inputs_hash)"
if [ "${EDGE_BUILD_FORCE:-0}" != 1 ] && [ -f bin/main.wasm ] && [ -f bin/edge-workers.js ] \
  && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  echo "[edge:build] up to date (bin/main.wasm, bin/edge-workers.js)" >&2
  exit 0
fi

esbuild=node_modules/.bin/esbuild
common=(--bundle --format=esm --target=es2022 --platform=browser --legal-comments=none --log-level=warning)

echo "[edge:build] esbuild edge/fastly/index.ts → bin/edge-fastly.js" >&2
"$esbuild" edge/fastly/index.ts "${common[@]}" --external:'fastly:*' --outfile="bin/.edge-fastly.$$.js"

echo "[edge:build] esbuild edge/workers/index.ts → bin/edge-workers.js" >&2
"$esbuild" edge/workers/index.ts "${common[@]}" --conditions=workerd,worker --outfile="bin/.edge-workers.$$.js"

echo "[edge:build] js-compute-runtime bin/edge-fastly.js → bin/main.wasm" >&2
trap 'rm -f "bin/.edge-fastly.$$.js" "bin/.edge-workers.$$.js" "bin/.main.$$.wasm"' EXIT
node_modules/.bin/js-compute-runtime "bin/.edge-fastly.$$.js" "bin/.main.$$.wasm" >/dev/null
# Renames are atomic: a test process that builds concurrently (vitest forks) never sees half a file.
mv "bin/.edge-fastly.$$.js" bin/edge-fastly.js
mv "bin/.edge-workers.$$.js" bin/edge-workers.js
mv "bin/.main.$$.wasm" bin/main.wasm

echo "$hash" > "$stamp"
echo "[edge:build] done: bin/main.wasm ($(du -h bin/main.wasm | cut -f1)), bin/edge-workers.js ($(du -h bin/edge-workers.js | cut -f1))" >&2
