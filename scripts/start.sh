#!/usr/bin/env bash
# The README's first command (`npm start`): installs node_modules when missing, then runs the
# local stack (scripts/start-stack.ts). No system packages are needed: without Viceroy the edge
# runs in workerd, which comes from npm.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || bash scripts/install-node-deps.sh
exec node --import tsx scripts/start-stack.ts "$@"
