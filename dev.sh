#!/usr/bin/env bash
# Set up and run Trygghetskarta on a fresh machine.
#   ./dev.sh start [serve options]   virtual environment + dashboard on the built-in demo data
#   ./dev.sh test  [pytest options]  virtual environment + Chromium/chromedriver + GDAL's validator + ruff + all tests
#   ./dev.sh setup                   only the virtual environment (then: .venv/bin/trygghetskarta --help)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

setup() {
    if [ ! -x .venv/bin/python ]; then
        "$PYTHON" -m venv .venv
    fi
    # The install is editable, so code changes need no reinstall; only a changed pyproject.toml
    # (dependencies, entry points) does. The stamp keeps `./dev.sh start` from spending ~10 s on pip.
    local stamp=.venv/.trygghetskarta-installed wanted
    wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x .venv/bin/trygghetskarta ]; then
        return
    fi
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[test]"
    echo "$wanted" > "$stamp"
}

apt_install() {
    # Debian packages some tests need (pip cannot give them); as root they are installed.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing $* (Debian packages) for the tests ..." >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        echo "The tests need these Debian packages: sudo apt-get install $*" >&2
        exit 1
    fi
}

browser() {
    # Browser tests drive Debian's Chromium headless; they never skip, so install it when missing.
    if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
        return
    fi
    apt_install chromium chromium-driver
}

validator() {
    # The GeoPackage conformance tests run GDAL's validate_gpkg.py (python3-gdal, for the
    # system Python); they never skip, so install it when missing.
    if [ -f /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py ]; then
        return
    fi
    apt_install python3-gdal
}

report_libs() {
    # The meeting report's PDF (WeasyPrint) draws text with Pango; the tests make PDFs, so
    # install it when missing (a Chromium install usually brings it already).
    if ldconfig -p | grep -q "libpangoft2-1.0.so.0"; then
        return
    fi
    apt_install libpango-1.0-0 libpangoft2-1.0-0
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
        validator
        report_libs
        .venv/bin/ruff check .
        exec .venv/bin/python -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh start [serve options] | ./dev.sh test [pytest options] | ./dev.sh setup" >&2
        exit 2
        ;;
esac
