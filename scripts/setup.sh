#!/usr/bin/env bash
# Creates .venv (when missing) and installs the project with everything it needs (when pyproject.toml changed).
# Usage: scripts/setup.sh [EXTRAS]   e.g. scripts/setup.sh dev
# Re-running is cheap: a stamp holding the hash of pyproject.toml and this script skips the install.
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS="${1:-}"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=.venv

# System packages the tests need (Debian). Installed when missing and we are root; otherwise we name them.
SYSTEM_PACKAGES=(${IIOT_SYSTEM_PACKAGES:-})
if [ "${#SYSTEM_PACKAGES[@]}" -gt 0 ]; then
  missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "setup: installing system packages: ${missing[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
    else
      echo "setup: please install these Debian packages first: ${missing[*]}" >&2
      exit 1
    fi
  fi
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"

stamp="$VENV/.iiot-installed"
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)-${EXTRAS}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

"$VENV/bin/python" -m pip install -q --upgrade pip

# llama-cpp-python compiles llama.cpp. The default native build uses CPU features (AMX) that these VMs
# advertise but cannot run ("Illegal instruction" at the first token), so build for a portable AVX2 set.
# --no-cache-dir: pip's wheel cache ignores CMAKE_ARGS and could hand back a crashing build.
LLAMA_PIN="$(grep -oE 'llama-cpp-python==[0-9.]+' pyproject.toml)"
if ! "$VENV/bin/python" -c "import importlib.metadata as m,sys; sys.exit(m.version('llama-cpp-python')!='${LLAMA_PIN#*==}')" 2>/dev/null; then
  echo "setup: compiling $LLAMA_PIN (about 5 minutes on 2 cores)"
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAVA_BUILD=OFF" \
    "$VENV/bin/python" -m pip install -q --no-cache-dir "$LLAMA_PIN"
fi

spec="."
[ -n "$EXTRAS" ] && spec=".[$EXTRAS]"
echo "setup: installing iiot-assistant$( [ -n "$EXTRAS" ] && echo "[$EXTRAS]") and its dependencies"
"$VENV/bin/python" -m pip install -q -e "$spec"
echo "$want" > "$stamp"
