#!/usr/bin/env bash
# Installs node_modules from the committed lockfile. `npm ci` first; when it refuses the lockfile
# because optional packages for other platforms (win32/darwin/musl builds of jco and rolldown)
# are missing from the registry this machine reaches, `npm install` resolves the same lockfile
# for this platform instead. Says which one ran.
set -euo pipefail
cd "$(dirname "$0")/.."
if npm ci --no-audit --no-fund; then exit 0; fi
echo "[deps] npm ci refused the lockfile (optional packages of other platforms are missing from this registry); installing from it with npm install" >&2
npm install --no-audit --no-fund
