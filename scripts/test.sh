#!/usr/bin/env bash
# The README's test command (`npm test`). Installs missing system parts (redis-server, Chromium,
# nginx, Viceroy, the real Ollama server, llama.cpp's server) through the project's own script, type-checks, builds what the tests run (the
# Fastly wasm), then runs the whole vitest suite and prints a plain "N passed, N failed" closing line.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || bash scripts/install-node-deps.sh
bash scripts/ensure-system-deps.sh
# The coding-agent CLIs the client tests drive (pinned, cached outside the repo).
bash scripts/ensure-agent-clis.sh
# Types first: strict TypeScript over the whole tree, and the edge against Fastly's own types.
npm run --silent typecheck
npm run --silent typecheck:edge-fastly
if [ -f scripts/build-edge.sh ]; then bash scripts/build-edge.sh; fi

report="$(mktemp -t puerta-vitest-XXXXXX.json)"
status=0
export PUERTA_REQUIRE_OLLAMA=1   # built above: the real-Ollama suites must run, not skip
export PUERTA_REQUIRE_LLAMA_CPP=1   # likewise llama.cpp's server (scripts/ensure-llama-cpp.sh)
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" || true
rm -f "$report"
exit $status
