#!/usr/bin/env bash
# Installs node_modules exactly as package-lock.json pins them (`npm ci`). The lockfile carries
# every platform's optional packages, so a fresh checkout installs without rewriting it; there is
# no `npm install` fallback that could. Only npm's errors are printed (a failure still says why).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "[deps] installing node_modules from package-lock.json (npm ci)" >&2
npm ci --no-audit --no-fund --loglevel=error
