#!/usr/bin/env bash
# Installs the coding-agent CLIs the client tests drive (Claude Code, Codex CLI, OpenCode, Gemini CLI), at
# pinned versions, into a cache outside the repo (AGENTS_CACHE, default ~/.cache/puerta/agents).
# They are test tools, not dependencies of Puerta, so they stay out of package.json. Idempotent
# and quiet when everything is present; prints the install directory of each on request.
#
#   scripts/ensure-agent-clis.sh [claude] [codex] [opencode] [gemini]   (no args: all)
#
# Versions: Claude Code 2.1.197 is the newest whose package.json engines still allow Node 20
# (2.1.198 and later require Node >= 22); Gemini CLI 0.61.0's engines say Node >= 20. Bump the
# others freely; the tests pin what they drive.
set -euo pipefail

CLAUDE_CODE_VERSION="${CLAUDE_CODE_VERSION:-2.1.197}"
CODEX_VERSION="${CODEX_VERSION:-0.169.0}"
OPENCODE_VERSION="${OPENCODE_VERSION:-1.18.33}"
GEMINI_CLI_VERSION="${GEMINI_CLI_VERSION:-0.61.0}"
# OpenCode loads its provider packages from npm at run time; the tests run offline, so the
# OpenAI-compatible provider it needs is installed here, into OpenCode's own package cache.
AI_SDK_OPENAI_COMPATIBLE_VERSION="${AI_SDK_OPENAI_COMPATIBLE_VERSION:-}"
AGENTS_CACHE="${AGENTS_CACHE:-$HOME/.cache/puerta/agents}"

log() { printf '[agents] %s\n' "$*" >&2; }

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(claude codex opencode gemini)

# npm install into <cache>/<name>-<version>; a marker file says the install finished.
install_pkg() {
  local name="$1" spec="$2"
  local dir="$AGENTS_CACHE/$name"
  if [ -f "$dir/.installed" ] && [ "$(cat "$dir/.installed")" = "$spec" ]; then return 0; fi
  log "npm install $spec into $dir"
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && printf '{"name":"puerta-agent-%s","private":true}\n' "$name" > package.json \
    && npm install --no-audit --no-fund --loglevel=error "$spec" >/dev/null)
  printf '%s' "$spec" > "$dir/.installed"
}

for w in "${want[@]}"; do
  case "$w" in
    claude) install_pkg claude "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" ;;
    codex) install_pkg codex "@openai/codex@$CODEX_VERSION" ;;
    opencode) install_pkg opencode "opencode-ai@$OPENCODE_VERSION" ;;
    gemini) install_pkg gemini "@google/gemini-cli@$GEMINI_CLI_VERSION" ;;
    *) log "unknown CLI '$w' (known: claude codex opencode gemini)"; exit 2 ;;
  esac
done
