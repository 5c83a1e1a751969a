#!/usr/bin/env bash
# The one test command (README and .ci/run both call exactly this): installs what the
# tests need, checks style (ruff) and types (mypy, strict on the core: see pyproject.toml),
# then runs the tests. Debian's chromium drives the browser test; without root or apt the
# browser test skips with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) \
    >/dev/null 2>&1 || echo "note: could not install chromium; the browser test will skip"
fi
python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'
.venv/bin/ruff check src tests
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
