#!/usr/bin/env bash
# Builds llama.cpp's OpenAI-compatible server once, through PyPI's llama-cpp-python[server]
# (pinned; pip compiles the vendored llama.cpp from source), into a venv outside the repo
# (LLAMA_CPP_CACHE, default ~/.cache/puerta/llama-cpp). The tests start it with
# `$venv/bin/python -m llama_cpp.server` on the same tiny generated GGUF models as Ollama.
# Idempotent: returns at once when the venv imports the server. Called by
# scripts/ensure-system-deps.sh (part `llama-cpp`).
#
# Why PyPI and not a git clone of llama.cpp: package registries are the only source the build
# machines reach. The build is CPU-only and portable (GGML_NATIVE=OFF: a cache built on one host
# runs on another); examples, tests and tools are left out to keep the one-time compile short.
#
#   scripts/ensure-llama-cpp.sh            # build the venv
#   scripts/ensure-llama-cpp.sh --check    # exit 0 when present, 1 otherwise; builds nothing
set -euo pipefail
# shellcheck source=lib/python-venv.sh
. "$(dirname "$0")/lib/python-venv.sh"

LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
LLAMA_CPP_CACHE="${LLAMA_CPP_CACHE:-$HOME/.cache/puerta/llama-cpp}"
venv="$LLAMA_CPP_CACHE/venv"
stamp="$LLAMA_CPP_CACHE/venv.version"

log() { printf '[llama-cpp] %s\n' "$*" >&2; }

have_venv() {
  [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$LLAMA_CPP_PYTHON_VERSION" ] &&
    "$venv/bin/python" -c 'import llama_cpp.server.app' 2>/dev/null
}

if [ "${1:-}" = "--check" ]; then have_venv; exit $?; fi

build_venv() {
  for tool in python3 cmake g++; do
    command -v "$tool" >/dev/null || { log "$tool not found: cannot build llama.cpp"; return 1; }
  done
  local started=$SECONDS
  log "building llama-cpp-python $LLAMA_CPP_PYTHON_VERSION into $venv (one time; compiles llama.cpp: about 20 minutes on 2 busy cores)"
  # The version stamp is written last, so a build cut short is redone from scratch.
  rm -f "$stamp"
  new_venv python3 "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF" \
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
    nice -n 10 "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir \
      "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION"
  echo "$LLAMA_CPP_PYTHON_VERSION" > "$stamp"
  log "built $venv in $((SECONDS - started)) s"
}

mkdir -p "$LLAMA_CPP_CACHE"
# One build at a time: `npm test` and `npm start` may both ask on a fresh machine.
exec 9>"$LLAMA_CPP_CACHE/.lock"
flock 9
have_venv || build_venv
