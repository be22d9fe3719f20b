#!/usr/bin/env bash
# npm run build — the origin and the operator CLIs as plain JavaScript for production, one esbuild
# bundle per entry point with source maps, into dist/ (not committed). Production runs these with
# `node` after `npm ci --omit=dev`: npm packages stay external (they are `dependencies`, installed
# by that production install), so the bundles hold only Puerta's own code.
#   dist/origin/main.js        the origin (infra/origin/puerta-origin.service runs it)
#   dist/cli/tenants.js        npm run tenants     (bin: puerta-tenants)
#   dist/cli/usage.js          npm run usage       (bin: puerta-usage)
#   dist/cli/audit.js          npm run audit       (bin: puerta-audit)
#   dist/cli/ingest.js         npm run ingest
#   dist/origin/pglite-worker.mjs  the embedded Postgres's worker thread (retrieval, batch), with pglite-exchanges.mjs
#   dist/origin/document-worker.js the document workers' thread: extraction and chunking (retrieval)
#   dist/origin/jsonl-worker.js    the batch uploads' thread: multipart parsing and line checks (batch)
#   dist/cli/check-infra.js    npm run check:infra
#   dist/cli/check-timeouts.js npm run check:timeouts
# Entry points sit two folders below the root, like their sources, so the CLIs that find the
# repository's infra/ files from their own location (import.meta.url) find them from dist/ too.
# The edge has its own build (scripts/build-edge.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

esbuild=node_modules/.bin/esbuild
common=(--bundle --platform=node --format=esm --target=node20 --packages=external --sourcemap
  --legal-comments=none --log-level=warning)
tmp="dist/.build.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/origin" "$tmp/cli"

# Each bundle starts with a shebang: the origin and the CLIs are package.json `bin` entries too.
bundle() { "$esbuild" "$1" "${common[@]}" --banner:js='#!/usr/bin/env node' --outfile="$tmp/$2.js"; }
bundle origin/node/main.ts origin/main
cli() { bundle "$1" "cli/$2"; }
cli scripts/tenants.ts tenants
cli scripts/usage.ts usage
cli origin/audit/cli.ts audit
cli infra/check-ollama.ts check-infra
cli sre/timeouts/cli.ts check-timeouts
cli scripts/ingest.ts ingest
# The embedded Postgres runs in a worker thread from this file, found beside main.js.
cp origin/retrieval/store/pglite-worker.mjs origin/retrieval/store/pglite-exchanges.mjs "$tmp/origin/"
# So do the document workers (origin/retrieval/document-workers.ts looks beside main.js); no shebang.
"$esbuild" origin/retrieval/document-worker.ts "${common[@]}" --outfile="$tmp/origin/document-worker.js"
# And the batch uploads' JSONL worker (origin/batch/jsonl/parse.ts looks beside main.js).
"$esbuild" origin/batch/jsonl/jsonl-worker.ts "${common[@]}" --outfile="$tmp/origin/jsonl-worker.js"
chmod +x "$tmp"/origin/main.js "$tmp"/cli/*.js

# Swap the whole tree at once: a running origin keeps the files it loaded, a new one sees a full build.
rm -rf dist/origin dist/cli
mv "$tmp/origin" dist/origin
mv "$tmp/cli" dist/cli
echo "[build] dist/origin/main.js ($(du -h dist/origin/main.js | cut -f1)), dist/origin/document-worker.js, dist/origin/jsonl-worker.js, dist/cli/{tenants,usage,audit,ingest,check-infra,check-timeouts}.js" >&2
