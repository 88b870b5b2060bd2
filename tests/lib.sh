# tests/lib.sh: helpers for tests/memcheck, the one shell runner that checks
# (sourced, not run).
#
# Every test: sources this file, starts what it needs on loopback ports with
# `spawn NAME CMD...` (logs under $TMPD/NAME.log), and calls `finish` last.
# Everything spawned is stopped on exit, pass or fail.  Assertions print one
# line per check; a failed check makes the script exit 1 at `finish`.
# Servers missing from the machine are failures, never skips.

set -u
: "${THANOS_FCGI_BIN:=$(cd "$(dirname "$0")/../.." && pwd)/src/thanos-fcgi}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export THANOS_FCGI_BIN top_srcdir
# The start-up check (a FastCGI process probes its upstreams once) is off in
# the tests: its probes would count among the requests the fakes see.
# tests/harness/test_check.py turns it on.
export THANOS_FCGI_CHECK_ON_START=false
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/thanos-fcgi-test.XXXXXX")
: >"$TMPD/failed.txt"
export TMPD
PIDS=""
FAILED=0
PASSED=0

cleanup() {
	local p left i
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	# each gets until guard 0 ("at once") to end by itself, then SIGKILL
	for ((i = 0; i < $(guard 0) * 20; i++)); do
		left=""
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
		[ -z "$left" ] && break
		sleep 0.05
	done
	for p in $left; do kill -9 "$p" 2>/dev/null; done
	if [ "$FAILED" = 0 ] && [ -z "${KEEP_TMP:-}" ]; then rm -rf "$TMPD"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# free_port: prints a TCP port free on 127.0.0.1 right now, and never one
# it printed before in this test ($TMPD/ports.given keeps them: a server
# not yet started holds no port, and $(free_port) runs in a subshell).
free_port() {
	python3 - "$TMPD/ports.given" <<'PY'
import socket, sys
given = set()
try:
    given = set(open(sys.argv[1]).read().split())
except OSError:
    pass
for _ in range(64):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = str(s.getsockname()[1])
    s.close()
    if p not in given:
        break
open(sys.argv[1], "a").write(p + "\n")
print(p)
PY
}

# The waits below poll every 50 ms; SECONDS, their guard, is guard's
# (below) unless given (then from guard C_MS too).
# wait_port PORT [SECONDS]: waits until something listens on 127.0.0.1:PORT.
wait_port() {
	local i=0 max=$(( ${2:-$(guard)} * 20 ))
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -ge "$max" ] && { echo "port $1 did not open" >&2; return 1; }
		sleep 0.05
	done
}

# spawn NAME CMD...: runs CMD in the background, output to $TMPD/NAME.log.
spawn() {
	local name=$1; shift
	"$@" >"$TMPD/$name.log" 2>&1 &
	PIDS="$PIDS $!"
	eval "PID_$name=$!"
}

# track PID: stop PID at exit too (daemons that fork and write a pid file).
track() { PIDS="$PIDS $1"; }

pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() {
	FAILED=$((FAILED + 1))
	echo "not ok - $*"
	[ -n "${TMPD:-}" ] && echo "not ok - $*" >>"$TMPD/failed.txt"
}

# ---- durations: the one rule (tests/harness/bounds.py, the same for the harness)
#
# A check about time compares a measured duration with the value the test
# configured (a timeout, the mock's delay, a grace), never with a window
# tuned by hand; a wait for an event is bounded by a guard derived the same
# way, which only a broken or hung program reaches.  SLOWDOWN is 5 under
# valgrind (tests/memcheck exports UNDER_VALGRIND), else 1.
#
#   duration_bound C_MS   prints "LOW HIGH" (ms) for an event configured to
#       come after C_MS: no earlier than C less 5% (timer rounding), no later
#       than C plus the larger of C and DURATION_START_MS (the cost of
#       starting a process and a connection on a loaded machine), times
#       SLOWDOWN.  C_MS 0 is "at once": [0, DURATION_START_MS x SLOWDOWN].
#   guard [C_MS]   seconds a wait may take before it gives up: C_MS's HIGH,
#       rounded up; without C_MS (an event with no configured time: a server
#       that starts, a line a process logs), DURATION_GUARD_S x SLOWDOWN
#       (procs.py's GUARD).
if [ -n "${UNDER_VALGRIND:-}" ]; then SLOWDOWN=5; else SLOWDOWN=1; fi
DURATION_START_MS=3000
DURATION_GUARD_S=30

duration_bound() {
	local c=$1 m=$DURATION_START_MS
	[ "$c" -gt "$m" ] && m=$c
	echo "$((c * 95 / 100)) $((c + m * SLOWDOWN))"
}

guard() {
	if [ -z "${1:-}" ]; then echo $((DURATION_GUARD_S * SLOWDOWN)); return; fi
	local low high
	read -r low high <<<"$(duration_bound "$1")"
	echo $(((high + 999) / 1000))
}

# check_match DESC REGEX GOT: extended-regex assertion.
check_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then pass "$1"; else fail "$1: '$3' does not match /$2/"; fi
}

# need CMD...: fails the test (not skips) when a command is missing.
need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { echo "not ok - required command '$c' is missing (run the README's test command)"; FAILED=1; exit 1; }
	done
}

# finish: prints the summary and exits 1 if anything failed.
finish() {
	echo "# $PASSED passed, $FAILED failed"
	if [ "$FAILED" != 0 ]; then
		echo "# logs kept in $TMPD" >&2
		for f in "$TMPD"/*.log; do [ -f "$f" ] && { echo "## $f"; tail -n 30 "$f"; }; done >&2
		# the failures once more, last: what a truncated log still shows
		echo "# the $FAILED failed checks, again:" >&2
		cat "$TMPD/failed.txt" >&2
		exit 1
	fi
	exit 0
}

