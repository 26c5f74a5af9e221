#!/usr/bin/env bash
# Set up and run Trygghetskarta on a fresh machine.
#   ./dev.sh start [serve options]   virtual environment + dashboard on the built-in demo data
#   ./dev.sh test  [pytest options]  virtual environment + Chromium/chromedriver + ruff + all tests
#   ./dev.sh setup                   only the virtual environment (then: .venv/bin/trygghetskarta --help)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

setup() {
    if [ ! -x .venv/bin/python ]; then
        "$PYTHON" -m venv .venv
    fi
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[test]"
}

browser() {
    # Browser tests drive Debian's Chromium headless; they never skip, so install it when missing.
    if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
        return
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing chromium and chromium-driver (Debian packages) for the browser tests ..." >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "The browser tests need Chromium and its driver: sudo apt-get install chromium chromium-driver" >&2
        exit 1
    fi
}

command=${1:-}
shift || true
case "$command" in
    setup)
        setup
        echo "Ready: .venv/bin/trygghetskarta --help" >&2
        ;;
    start)
        setup
        exec .venv/bin/trygghetskarta serve "$@"
        ;;
    test)
        setup
        browser
        .venv/bin/ruff check .
        exec .venv/bin/python -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh start [serve options] | ./dev.sh test [pytest options] | ./dev.sh setup" >&2
        exit 2
        ;;
esac
