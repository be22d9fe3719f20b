#!/usr/bin/env bash
# Installs LiteLLM proxy, at a pinned version, into a Python venv outside the repo (LITELLM_CACHE,
# default ~/.cache/puerta/litellm). Only `npm run bench:relay` uses it, as a second LLM gateway
# beside nginx, and only when asked: no test and no start script installs it. Idempotent and
# quiet when present; prints the path of the `litellm` executable.
#
#   scripts/ensure-litellm.sh            # install if missing, print the executable's path
#   scripts/ensure-litellm.sh --check    # installed at the pinned version: print the path, exit 0;
#                                        # otherwise exit 1; installs nothing
#
# Version: 1.106.12 (Python 3.10 to 3.14) is the newest whose `proxy` extra installs from PyPI
# alone: from 1.108 on the extra needs a separate `litellm-proxy` distribution that PyPI does not
# serve. The pin also keeps benchmark figures comparable between runs.
set -euo pipefail
# shellcheck source=lib/python-venv.sh
. "$(dirname "$0")/lib/python-venv.sh"

LITELLM_VERSION="${LITELLM_VERSION:-1.106.12}"
LITELLM_CACHE="${LITELLM_CACHE:-$HOME/.cache/puerta/litellm}"
venv="$LITELLM_CACHE/venv"
bin="$venv/bin/litellm"
stamp="$LITELLM_CACHE/litellm.version"

log() { printf '[litellm] %s\n' "$*" >&2; }

installed() { [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$LITELLM_VERSION" ]; }

if [ "${1:-}" = "--check" ]; then installed && echo "$bin"; exit $?; fi

install() {
  local py
  py="$(command -v python3 || true)"
  if [ -z "$py" ]; then log "python3 not found: install Python 3.10 to 3.14 to run LiteLLM"; return 1; fi
  if ! "$py" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 14) else 1)'; then
    log "$("$py" --version) is outside what LiteLLM $LITELLM_VERSION supports (3.10 to 3.14)"; return 1
  fi
  log "installing litellm[proxy]==$LITELLM_VERSION into $venv (one time, a minute or two)"
  rm -f "$stamp"
  new_venv "$py" "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "litellm[proxy]==$LITELLM_VERSION"
  echo "$LITELLM_VERSION" > "$stamp"
}

mkdir -p "$LITELLM_CACHE"
# One install at a time: two benchmark runs may both ask on a fresh machine.
exec 9>"$LITELLM_CACHE/.lock"
flock 9
installed || install
echo "$bin"
