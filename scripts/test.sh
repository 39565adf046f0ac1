#!/usr/bin/env bash
# The README's test command: install varmatch with its test extras (and the system tools the
# tests use), validate the knowledgebase, run the test suite. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
command -v bcftools >/dev/null || need_apt+=(bcftools)
command -v tabix >/dev/null || need_apt+=(tabix)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} (Debian packages)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
echo "== pip install .[test]"
python3 -m pip install --quiet --disable-pip-version-check ".[test]"
echo "== browser for tests/test_report.py (Debian chromium + playwright)"
bash scripts/install_browser.sh
echo "== varmatch kb validate --strict"
varmatch kb validate --strict
echo "== ruff check"
ruff check varmatch tests scripts benchmarks
echo "== pytest"
python3 -m pytest -q -p no:cacheprovider "$@"
