#!/usr/bin/env bash
# Install what the browser test (tests/test_report.py) needs: Debian's chromium, and the Playwright
# Python package that drives it. Playwright is pointed at /usr/bin/chromium, so no browser build
# is downloaded (`playwright install` is never run). Idempotent: skips what is already there.
# The Python driver goes into $PYTHON (default python3; scripts/test.sh passes its venv's python).
set -euo pipefail
PY=${PYTHON:-python3}
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (Debian package)"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! "$PY" -c "import playwright.sync_api" >/dev/null 2>&1; then
  echo "== pip install playwright (Python driver only; the browser is Debian's chromium)"
  "$PY" -m pip install --quiet --disable-pip-version-check "playwright>=1.40"
fi
echo "== browser: $(chromium --version 2>/dev/null || echo 'chromium missing')"
