#!/usr/bin/env bash
# Installs the official OpenAI and Google Gen AI (Gemini) Python SDKs, at pinned versions, into a
# venv outside the repo
# (PYTHON_SDKS_CACHE, default ~/.cache/puerta/python-sdks). A test tool, like the agent CLIs:
# the dialect tests drive Puerta with it (test/helpers/python-sdk.ts). Idempotent and quiet when
# present; prints the venv's python.
#
#   scripts/ensure-python-sdks.sh            # install if missing, print the python's path
#   scripts/ensure-python-sdks.sh --check    # installed at the pinned version: print it, exit 0;
#                                            # otherwise exit 1; installs nothing
set -euo pipefail
# shellcheck source=lib/python-venv.sh
. "$(dirname "$0")/lib/python-venv.sh"

OPENAI_PY_VERSION="${OPENAI_PY_VERSION:-3.51.0}"
GOOGLE_GENAI_PY_VERSION="${GOOGLE_GENAI_PY_VERSION:-3.6.1}"
PYTHON_SDKS_CACHE="${PYTHON_SDKS_CACHE:-$HOME/.cache/puerta/python-sdks}"
venv="$PYTHON_SDKS_CACHE/venv"
py="$venv/bin/python"
stamp="$PYTHON_SDKS_CACHE/sdks.version"
# Its own stamp: adding an SDK to the venv does not rebuild the venv the other one lives in.
genai_stamp="$PYTHON_SDKS_CACHE/google-genai.version"

log() { printf '[python-sdks] %s\n' "$*" >&2; }

openai_installed() { [ -x "$py" ] && [ "$(cat "$stamp" 2>/dev/null)" = "openai==$OPENAI_PY_VERSION" ]; }
genai_installed() { [ -x "$py" ] && [ "$(cat "$genai_stamp" 2>/dev/null)" = "google-genai==$GOOGLE_GENAI_PY_VERSION" ]; }
installed() { openai_installed && genai_installed; }

if [ "${1:-}" = "--check" ]; then installed && echo "$py"; exit $?; fi

# pip_pin SPEC STAMP: installs one pinned package into the venv; the stamp is written only once it is in.
pip_pin() {
  log "installing $1 into $venv"
  rm -f "$2"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$1"
  echo "$1" > "$2"
}

install() {
  local sys
  sys="$(command -v python3 || true)"
  if [ -z "$sys" ]; then log "python3 not found: install Python 3.9 or newer"; return 1; fi
  rm -f "$stamp"
  new_venv "$sys" "$venv"
  pip_pin "openai==$OPENAI_PY_VERSION" "$stamp"
}

mkdir -p "$PYTHON_SDKS_CACHE"
# One install at a time: two test files may both ask on a fresh machine.
exec 9>"$PYTHON_SDKS_CACHE/.lock"
flock 9
openai_installed || { rm -f "$genai_stamp"; install; }
genai_installed || pip_pin "google-genai==$GOOGLE_GENAI_PY_VERSION" "$genai_stamp"
echo "$py"
