#!/usr/bin/env bash
# Builds the real Ollama server once, at a pinned version, into a cache outside the repo
# (OLLAMA_CACHE, default ~/.cache/puerta/ollama), and prepares the Python venv whose `gguf`
# package writes the tiny test models (infra/ollama-local/make-tiny-models.py).
# Idempotent: returns at once when both are present. Called by scripts/ensure-system-deps.sh
# (part `ollama`), so `npm test` builds it on a fresh machine; `npm start` only uses it if present.
#
# Why `go install` from the Go module proxy: it is the only source the build machines can reach
# (no git clone). Go's module zip leaves out llama/llama.cpp/vendor/, so the three vendored
# headers come from elsewhere: nlohmann-json and stb from Debian, miniaudio from the project's
# own stand-in (infra/ollama-build/include/miniaudio/miniaudio.h, audio decoding always fails).
#
#   scripts/ensure-ollama.sh            # binary + venv
#   scripts/ensure-ollama.sh --check    # exit 0 when both are present, 1 otherwise; builds nothing
set -euo pipefail
# shellcheck source=lib/python-venv.sh
. "$(dirname "$0")/lib/python-venv.sh"

OLLAMA_VERSION="${OLLAMA_VERSION:-0.17.4}"
GGUF_VERSION="${GGUF_VERSION:-0.19.0}"
OLLAMA_CACHE="${OLLAMA_CACHE:-$HOME/.cache/puerta/ollama}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$OLLAMA_CACHE/bin/ollama"
stamp="$OLLAMA_CACHE/bin/ollama.version"
venv="$OLLAMA_CACHE/venv"

log() { printf '[ollama] %s\n' "$*" >&2; }

have_binary() { [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$OLLAMA_VERSION" ]; }
have_venv() { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import gguf, numpy' 2>/dev/null; }

if [ "${1:-}" = "--check" ]; then have_binary && have_venv; exit $?; fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null; then log "apt-get not found; install these by hand: $*"; return 1; fi
  if [ $apt_updated = 0 ]; then $SUDO apt-get update -qq >/dev/null; apt_updated=1; fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_headers() {
  if [ -f /usr/include/nlohmann/json_fwd.hpp ] && [ -f /usr/include/stb/stb_image.h ]; then return 0; fi
  apt_install nlohmann-json3-dev libstb-dev
}

# Ollama 0.17.4's go.mod wants Go 1.24; Debian 13's golang-go is 1.24.
ensure_go() {
  command -v go >/dev/null || apt_install golang-go g++ || true
  if ! command -v go >/dev/null; then log "go not found: install Go 1.24 or newer to build Ollama"; return 1; fi
  local v; v="$(go env GOVERSION | sed 's/^go//')"
  if [ "$(printf '%s\n1.24\n' "$v" | sort -V | head -1)" != "1.24" ]; then
    log "Go $v is too old to build Ollama $OLLAMA_VERSION (needs 1.24 or newer)"; return 1
  fi
}

build_binary() {
  ensure_go
  ensure_headers
  local started=$SECONDS tmpbin
  log "building Ollama $OLLAMA_VERSION with go install into $OLLAMA_CACHE (one time; about 6 minutes on 2 idle cores)"
  mkdir -p "$OLLAMA_CACHE/bin"
  tmpbin="$(mktemp -d "$OLLAMA_CACHE/bin.tmp.XXXXXX")"
  # Module and build caches live beside the binary so a clean clone (or CI cache) reuses them.
  GOPATH="$OLLAMA_CACHE/gopath" GOMODCACHE="$OLLAMA_CACHE/gopath/pkg/mod" GOCACHE="$OLLAMA_CACHE/gocache" \
  GOBIN="$tmpbin" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=1 \
  CGO_CPPFLAGS="-I$repo/infra/ollama-build/include" \
    nice -n 10 go install "-ldflags=-X=github.com/ollama/ollama/version.Version=$OLLAMA_VERSION" \
      "github.com/ollama/ollama@v$OLLAMA_VERSION"
  mv -f "$tmpbin/ollama" "$bin"
  rmdir "$tmpbin"
  echo "$OLLAMA_VERSION" > "$stamp"
  log "built $bin in $((SECONDS - started)) s"
}

build_venv() {
  if ! command -v python3 >/dev/null; then log "python3 not found: cannot write the tiny models"; return 1; fi
  log "creating $venv with gguf==$GGUF_VERSION (writes the tiny test models)"
  new_venv python3 "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "gguf==$GGUF_VERSION"
}

mkdir -p "$OLLAMA_CACHE"
# One build at a time: `npm test` and `npm start` may both ask on a fresh machine.
exec 9>"$OLLAMA_CACHE/.lock"
flock 9
have_binary || build_binary
have_venv || build_venv
