#!/bin/sh
# tests/harness/run.sh: the behaviour cases (tests/cases/*.toml) and the
# adapter's flows (test_flows.py), in every mode and behind every front
# server, through pytest: Debian's python3-pytest, so Debian's interpreter,
# whatever python3 comes first on PATH.  make check runs it; its exit status
# is pytest's.  Arguments go to pytest, in tests/harness.  Options alone
# (-k, --case, -x) pick among the cases, flows and deployments; a file, a
# test id or a directory names what runs instead:
#   run.sh -k redirects     run.sh --case NAME     run.sh test_flows.py
# make check runs each other test_*.py of HARNESS_TESTS (Makefile.am) as
# its own test, through this script (PY_LOG_COMPILER).
# Without arguments or HARNESS_MODES, the adapter's own modes and the front
# servers run side by side, as two pytest processes (they mostly wait on
# the mock's delays); either failing fails the run.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
# no __pycache__ in the source tree (read-only under distcheck)
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
PY=/usr/bin/python3
"$PY" -c 'import pytest' 2>/dev/null || { echo "not ok - $PY has no pytest (tests/install-deps installs python3-pytest)"; exit 1; }
# A file argument (make check passes tests/harness/test_X.py: the
# TEST_EXTENSIONS .py tests) is made absolute before the cd, and so is
# HARNESS_CASES.
named=
n=$#
while [ "$n" -gt 0 ]; do
	a=$1
	shift
	[ -f "$a" ] && a=$(cd "$(dirname "$a")" && pwd)/$(basename "$a")
	case $a in *.py | *.py::*) named=1 ;; esac
	[ -d "$a" ] && a=$(cd "$a" && pwd) && named=1
	set -- "$@" "$a"
	n=$((n - 1))
done
if [ -n "${HARNESS_CASES:-}" ]; then
	HARNESS_CASES=$(cd "$HARNESS_CASES" && pwd) || exit 1
	export HARNESS_CASES
fi
cd "$top_srcdir/tests/harness" || exit 1
# the cases, in every mode and behind every front server
CASES="test_cases.py test_flows.py test_e2e.py"
if [ $# -gt 0 ]; then
	# shellcheck disable=SC2086 # a list of file names
	[ -n "$named" ] || set -- "$@" $CASES
	exec "$PY" -m pytest -q -p no:cacheprovider "$@"
fi
if [ -n "${HARNESS_MODES:-}" ]; then
	# shellcheck disable=SC2086 # a list of file names
	exec "$PY" -m pytest -q -p no:cacheprovider $CASES
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/thanos-fcgi-run.XXXXXX") || exit 1
# shellcheck disable=SC2086 # a list of file names
HARNESS_MODES=cgi,listen,unix,spawn,params "$PY" -m pytest -q -p no:cacheprovider $CASES >"$out/adapter" 2>&1 &
a=$!
# shellcheck disable=SC2086
HARNESS_MODES=nginx,lighttpd,apache_fcgid,apache_cgi,shared_hosting "$PY" -m pytest -q -p no:cacheprovider $CASES >"$out/front" 2>&1 &
f=$!
wait "$a"
ra=$?
wait "$f"
rf=$?
echo "# the adapter's modes (exit $ra)"
cat "$out/adapter"
echo "# behind the front servers (exit $rf)"
cat "$out/front"
rm -rf "$out"
[ "$ra" = 0 ] && [ "$rf" = 0 ]
