# Sourced by the scripts that install Python tools into venvs outside the repo (ensure-ollama,
# ensure-python-sdks, ensure-litellm, ensure-llama-cpp): one way to make a fresh venv.
#
#   new_venv PYTHON VENV   # removes VENV, creates it with PYTHON; adds Debian's python3-venv when missing

new_venv() {
  local py="$1" venv="$2"
  rm -rf "$venv"
  # Debian splits venv out of python3.
  "$py" -m venv "$venv" 2>/dev/null && return 0
  rm -rf "$venv"
  if ! command -v apt-get >/dev/null; then
    printf '%s -m venv failed and apt-get is not there to add python3-venv\n' "$py" >&2; return 1
  fi
  local sudo=""; [ "$(id -u)" != 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  "$py" -m venv "$venv"
}
