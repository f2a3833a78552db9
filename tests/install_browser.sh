#!/usr/bin/env bash
# Make sure the browser tests can run: Debian's Chromium at /usr/bin/chromium and
# Playwright for Python in .venv. Never downloads a browser through Playwright.
# Installs what it can when run as root; otherwise prints what to install and fails.
set -euo pipefail

CHROMIUM="${PAIN_CHROMIUM:-/usr/bin/chromium}"
PY="${PY:-.venv/bin/python}"
status=0

if [ -x "$CHROMIUM" ]; then
    echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo present) at $CHROMIUM"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "chromium: not found at $CHROMIUM; installing Debian's chromium with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
    if [ ! -x "$CHROMIUM" ]; then
        echo "chromium: apt-get finished but $CHROMIUM is still missing" >&2
        status=1
    else
        echo "chromium: installed $("$CHROMIUM" --version 2>/dev/null)"
    fi
else
    cat >&2 <<MSG
chromium: not found at $CHROMIUM and this script cannot install it (needs root and apt-get).
Install it yourself, then run this again:
    Debian/Ubuntu:  sudo apt-get install chromium        (Ubuntu: chromium-browser)
    Fedora:         sudo dnf install chromium
    macOS:          brew install --cask chromium
or point the tests at an existing Chromium/Chrome binary:
    export PAIN_CHROMIUM=/path/to/chromium
MSG
    status=1
fi

if [ -x "$PY" ] && "$PY" -c "import playwright" 2>/dev/null; then
    echo "playwright (python): $("$PY" -c 'import importlib.metadata as m; print(m.version("playwright"))')"
else
    echo "playwright (python): missing in $PY; it is pinned in requirements/dev.txt (make setup)" >&2
    status=1
fi

exit $status
