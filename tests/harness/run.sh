#!/bin/sh
# tests/harness/run.sh: the behaviour cases (tests/cases/*.toml) and the
# adapter's flows (test_flows.py), in every mode, through pytest: Debian's
# python3-pytest, so Debian's interpreter, whatever python3 comes first on
# PATH.  make check runs it; its exit status is pytest's.  Arguments go to
# pytest, in tests/harness:  run.sh -k 'cgi and redirects',  run.sh test_flows.py
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
# no __pycache__ in the source tree (read-only under distcheck)
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
PY=/usr/bin/python3
"$PY" -c 'import pytest' 2>/dev/null || { echo "not ok - $PY has no pytest (tests/install-deps installs python3-pytest)"; exit 1; }
cd "$top_srcdir/tests/harness" || exit 1
exec "$PY" -m pytest -q -p no:cacheprovider -o console_output_style=classic "$@"
