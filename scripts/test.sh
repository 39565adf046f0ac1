#!/usr/bin/env bash
# The README's test command: install varmatch with its test extras (and the system tools the
# tests use), validate the knowledgebase, run the test suite. Safe to re-run.
# Python: $PYTHON, else python3. When that interpreter is "externally managed" (PEP 668, e.g. the
# system Python of Debian 12+/Ubuntu 23.04+) and no virtual environment is active, everything is
# installed into a virtual environment in .venv instead (created on first use). CI's pyenv python3
# is not externally managed and is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if "$PY" -c 'import os, sys, sysconfig
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(0 if sys.prefix == sys.base_prefix and os.path.exists(marker) else 1)'; then
  echo "== $("$PY" --version) is externally managed (PEP 668): using the virtual environment .venv"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  PY=$(pwd)/.venv/bin/python
  export PATH="$(pwd)/.venv/bin:$PATH"  # the tests run `varmatch` and `snakemake` by name
fi
need_apt=()
command -v bcftools >/dev/null || need_apt+=(bcftools)
command -v tabix >/dev/null || need_apt+=(tabix)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} (Debian packages)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
echo "== pip install .[test]"
"$PY" -m pip install --quiet --disable-pip-version-check ".[test]"
echo "== browser for tests/test_report.py (Debian chromium + playwright)"
PYTHON="$PY" bash scripts/install_browser.sh
echo "== varmatch kb validate --strict"
"$PY" -m varmatch kb validate --strict
echo "== ruff check"
"$PY" -m ruff check varmatch tests scripts benchmarks
echo "== pytest"
"$PY" -m pytest -q -p no:cacheprovider "$@"
