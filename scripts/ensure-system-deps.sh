#!/usr/bin/env bash
# Installs the real system parts the tests and the local stack run against, only when missing.
# Idempotent and quiet when everything is present, so `npm test` and `npm start` can call it
# every time. Slow builds (Viceroy, Ollama) go to a cache outside the repo and are reused.
#
#   scripts/ensure-system-deps.sh [redis] [postgresql] [nginx] [chromium] [viceroy] [promtool] [systemd-analyze] [ollama] [llama-cpp]   (no args: all)
set -euo pipefail

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(redis postgresql nginx chromium promtool systemd-analyze viceroy ollama llama-cpp)

log() { printf '[deps] %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null; then
    log "apt-get not found; install these by hand: $*"; return 1
  fi
  if [ $apt_updated = 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Viceroy: built from crates.io once, cached outside the repo (VICEROY_CACHE, default
# ~/.cache/puerta/viceroy) so clean clones and CI reuse the binary instead of a 10-minute compile.
VICEROY_VERSION="${VICEROY_VERSION:-0.22.0}"
VICEROY_CACHE="${VICEROY_CACHE:-$HOME/.cache/puerta/viceroy}"
ensure_viceroy() {
  local bin="$VICEROY_CACHE/bin/viceroy"
  if [ -x "$bin" ]; then return 0; fi
  if ! command -v cargo >/dev/null; then log "cargo not found: cannot build Viceroy"; return 1; fi
  log "building Viceroy $VICEROY_VERSION with cargo into $VICEROY_CACHE (one time, several minutes)"
  mkdir -p "$VICEROY_CACHE"
  CARGO_TARGET_DIR="$VICEROY_CACHE/target" cargo install --locked --quiet \
    --root "$VICEROY_CACHE" --version "$VICEROY_VERSION" viceroy
  rm -rf "$VICEROY_CACHE/target"
}

for w in "${want[@]}"; do
  case "$w" in
    redis) command -v redis-server >/dev/null || apt_install redis-server ;;
    # A real Postgres server for the batch durability tests (test/helpers/postgres.ts starts it in a temp dir).
    postgresql) [ -x /usr/lib/postgresql/15/bin/postgres ] || apt_install postgresql-15 ;;
    nginx) command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_install nginx-light || apt_install nginx ;;
    chromium) command -v chromium >/dev/null || apt_install chromium ;;
    # Debian's prometheus package ships promtool (the tests check the alert rules with it).
    promtool) command -v promtool >/dev/null || apt_install prometheus ;;
    # Verifies the origin's systemd unit; installing the package starts nothing in a container.
    systemd-analyze) command -v systemd-analyze >/dev/null || apt_install systemd ;;
    viceroy) ensure_viceroy ;;
    # The real Ollama server (pinned, built with go install) and the venv that writes its tiny models.
    ollama) bash "$(dirname "$0")/ensure-ollama.sh" ;;
    # llama.cpp's OpenAI-compatible server (PyPI llama-cpp-python[server], compiled from source once).
    llama-cpp) bash "$(dirname "$0")/ensure-llama-cpp.sh" ;;
    *) log "unknown part '$w' (known: redis postgresql nginx chromium promtool systemd-analyze viceroy ollama llama-cpp)"; exit 2 ;;
  esac
done
