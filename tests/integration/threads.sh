#!/bin/bash
# tests/integration/threads.sh: --threads N, SIGTERM and SIGHUP (issue 4).
#
# One process serves N requests at once (one libcurl handle and connection
# cache per thread); one thread stays the default.  SIGTERM lets running
# requests finish, bounded by --shutdown.grace, then exits 0; SIGHUP changes
# nothing.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
. "$top_srcdir/tests/integration/upstream_common.sh"
need spawn-fcgi
[ -x "$THANOS_FCGI_BIN" ] || { fail "no binary at $THANOS_FCGI_BIN"; finish; }
MODE=listen
RP=(--web.route-prefix /thanos)

# parallel ADDR COUNT SUBPATH: COUNT raw_req at once into $TMPD/par.N;
# sets MS (all done) and OK (how many answered 200 with the body "slow").
parallel() {
	local addr=$1 n=$2 sub=$3 i t0
	local -a jobs=()
	rm -f "$TMPD"/par.*
	t0=$(now_ms)
	for ((i = 1; i <= n; i++)); do
		raw_req "$addr" GET "$sub" >"$TMPD/par.$i" &
		jobs+=($!)
	done
	wait "${jobs[@]}"
	MS=$(($(now_ms) - t0))
	OK=0
	for ((i = 1; i <= n; i++)); do
		[ "$(raw_status "$TMPD/par.$i")" = 200 ] && [ "$(raw_body "$TMPD/par.$i")" = slow ] && OK=$((OK + 1))
	done
}

# reap PID: waits for the spawned PID (in this shell, not a subshell: only
# the parent may wait) and sets RC to its exit status.
reap() {
	RC=0
	wait "$1" || RC=$?
}

mock t4 --route-prefix /thanos
mock main --route-prefix /thanos
UP_MAIN="http://127.0.0.1:$MOCK_main"

# ---- --threads 4: four slow requests in about the time of one ----------------------

adapter T4 --upstream "http://127.0.0.1:$MOCK_t4" "${RP[@]}" --threads 4
check_match "--threads 4: logged at start" '4 thread\(s\)' "$(cat "$TMPD/adapter_T4.log")"
parallel "$AADDR_T4" 4 "/-/slow?ms=2000"
check "--threads 4: 4 of 4 slow requests answered" 4 "$OK"
check_between "--threads 4: 4 x 2 s requests in parallel (ms)" 1950 3500 "$MS"
parallel "$AADDR_T4" 4 "/-/slow?ms=1000"
check "--threads 4, second round: 4 of 4" 4 "$OK"
check_between "--threads 4, second round: 4 x 1 s in parallel (ms)" 950 2500 "$MS"
check "--threads 4: 8 requests reached the mock" 8 "$(mock_requests t4)"
c=$(mock_connections t4)
check_between "--threads 4: each thread kept its connection (connections for 8 requests)" 1 4 "$c"

# ---- --threads 1 and the default: one at a time ------------------------------------

adapter T1 --upstream "$UP_MAIN" "${RP[@]}" --threads 1
parallel "$AADDR_T1" 3 "/-/slow?ms=1500"
check "--threads 1: 3 of 3 answered" 3 "$OK"
check_between "--threads 1: 3 x 1.5 s one after the other (ms)" 4400 9000 "$MS"
adapter TDEF --upstream "$UP_MAIN" "${RP[@]}"
check_match "default: one thread" ' 1 thread\(s\)' "$(cat "$TMPD/adapter_TDEF.log")"
parallel "$AADDR_TDEF" 2 "/-/slow?ms=1000"
check "default: 2 of 2 answered" 2 "$OK"
check_between "default: 2 x 1 s one after the other (ms)" 1950 5000 "$MS"

# THANOS_FCGI_THREADS in the environment, FastCGI on fd 0 (spawn-fcgi).
MODE=spawn
adapter SP THANOS_FCGI_THREADS=3 --upstream "$UP_MAIN" "${RP[@]}"
parallel "$AADDR_SP" 3 "/-/slow?ms=1500"
check "spawn-fcgi, THANOS_FCGI_THREADS=3: 3 of 3 answered" 3 "$OK"
check_between "spawn-fcgi, THANOS_FCGI_THREADS=3: in parallel (ms)" 1450 2900 "$MS"
MODE=listen

# ---- kept-alive FastCGI connections (nginx fastcgi_keep_conn on) -----------------------
#
# net_helpers.py fcgi-keep sends its requests on one connection with
# FCGI_KEEP_CONN, then keeps it open and idle as nginx's keepalive pool does.
# Every request on it must be answered, and an idle kept connection must not
# stop the other threads from serving new connections.

NETH="$top_srcdir/tests/integration/net_helpers.py"
adapter KEEP --upstream "$UP_MAIN" "${RP[@]}" --threads 4
"$PY" "$NETH" fcgi-keep --connect "$AADDR_KEEP" --requests 3 --hold 3 --timeout $((30 * SLOWDOWN)) \
	>"$TMPD/keep1.out" 2>"$TMPD/keep1.err" &
kj=$!
log_count "$TMPD/keep1.out" '^status' 3 $((30 * SLOWDOWN)) >/dev/null
# The adapter keeps the connection (FCGI_KEEP_CONN): all three requests are
# answered on it, one after the other.
check "--threads 4, FCGI_KEEP_CONN: 3 requests answered on one connection" \
	"status 200|status 200|status 200|" "$(tr '\n' '|' <"$TMPD/keep1.out")"
"$PY" "$NETH" fcgi-keep --connect "$AADDR_KEEP" --requests 1 --hold 3 --timeout $((30 * SLOWDOWN)) \
	>"$TMPD/keep2.out" 2>"$TMPD/keep2.err" &
kj2=$!
log_count "$TMPD/keep2.out" '^status' 1 $((30 * SLOWDOWN)) >/dev/null
ok=0
for i in 1 2 3; do
	REQ_TIMEOUT=2 raw_req "$AADDR_KEEP" GET /-/echo >"$TMPD/raw"
	[ "$(raw_status "$TMPD/raw")" = 200 ] && ok=$((ok + 1))
done
check "--threads 4, idle kept connections open: new connections still served (3 of 3)" 3 "$ok"
wait "$kj" "$kj2" 2>/dev/null

# An idle kept connection holds no thread: one thread serves it and others.
adapter KEEP1 --upstream "$UP_MAIN" "${RP[@]}" --threads 1
"$PY" "$NETH" fcgi-keep --connect "$AADDR_KEEP1" --requests 2 --hold 3 --timeout $((30 * SLOWDOWN)) \
	>"$TMPD/keep3.out" 2>"$TMPD/keep3.err" &
kj=$!
log_count "$TMPD/keep3.out" '^status' 2 $((30 * SLOWDOWN)) >/dev/null
ok=0
for i in 1 2 3; do
	REQ_TIMEOUT=2 raw_req "$AADDR_KEEP1" GET /-/echo >"$TMPD/raw"
	[ "$(raw_status "$TMPD/raw")" = 200 ] && ok=$((ok + 1))
done
check "--threads 1, kept connection: 2 requests answered on it" \
	"status 200|status 200|" "$(tr '\n' '|' <"$TMPD/keep3.out")"
check "--threads 1, an idle kept connection open: new connections served (3 of 3)" 3 "$ok"
wait "$kj" 2>/dev/null

# SIGTERM with an idle kept connection open: the process still ends, status 0.
for n in 1 2; do
	adapter "KTERM$n" --upstream "$UP_MAIN" "${RP[@]}" --threads "$n"
	eval "addr=\$AADDR_KTERM$n"
	"$PY" "$NETH" fcgi-keep --connect "$addr" --requests 1 --hold 6 --timeout $((30 * SLOWDOWN)) \
		>"$TMPD/kterm.out" 2>"$TMPD/kterm.err" &
	kj=$!
	log_count "$TMPD/kterm.out" '^status' 1 $((30 * SLOWDOWN)) >/dev/null
	check "--threads $n, kept connection: answered" "status 200" "$(cat "$TMPD/kterm.out")"
	pid=$(adapter_pid "KTERM$n")
	kill -TERM "$pid"
	check "--threads $n, SIGTERM with an idle kept connection: ends within 2 s" gone "$(proc_gone "$pid" 2)"
	if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
	reap "$pid"
	check "--threads $n, SIGTERM with an idle kept connection: exit status 0" 0 "$RC"
	kill "$kj" 2>/dev/null
	wait "$kj" 2>/dev/null
done

# ---- SIGTERM --------------------------------------------------------------------------

# Idle: exits at once, status 0.
adapter IDLE --upstream "$UP_MAIN" "${RP[@]}"
pid=$(adapter_pid IDLE)
kill -TERM "$pid"
check "SIGTERM, idle: process ends within 1 s" gone "$(proc_gone "$pid" 1)"
reap "$pid"
check "SIGTERM, idle: exit status 0" 0 "$RC"

# Two requests running (2 s each) on --threads 4: both complete, then exit 0.
adapter TERM --upstream "$UP_MAIN" "${RP[@]}" --threads 4
pid=$(adapter_pid TERM)
t0=$(now_ms)
raw_req "$AADDR_TERM" GET "/-/slow?ms=2000" >"$TMPD/term.1" &
j1=$!
raw_req "$AADDR_TERM" GET "/-/slow?ms=2000" >"$TMPD/term.2" &
j2=$!
sleep 0.5
kill -TERM "$pid"
wait "$j1" "$j2"
check "SIGTERM during a slow request: it completes with 200" 200 "$(raw_status "$TMPD/term.1")"
check "SIGTERM during a slow request: whole body" slow "$(raw_body "$TMPD/term.1")"
check "SIGTERM during a second slow request: 200" 200 "$(raw_status "$TMPD/term.2")"
check "SIGTERM during a second slow request: whole body" slow "$(raw_body "$TMPD/term.2")"
check_between "SIGTERM: requests took their 2 s (ms)" 1950 4000 "$(($(now_ms) - t0))"
check "SIGTERM: the process ends after them" gone "$(proc_gone "$pid" 3)"
reap "$pid"
check "SIGTERM: exit status 0" 0 "$RC"
check_match "SIGTERM: logged" 'stopping on signal' "$(cat "$TMPD/adapter_TERM.log")"
check "SIGTERM: no request failed" 0 "$(grep -c 'msg="request failed"' "$TMPD/adapter_TERM.log")"

# SIGTERM on --threads 1 with one running request.
adapter TERM1 --upstream "$UP_MAIN" "${RP[@]}" --threads 1
pid=$(adapter_pid TERM1)
raw_req "$AADDR_TERM1" GET "/-/slow?ms=1500" >"$TMPD/term1" &
j1=$!
sleep 0.4
kill -TERM "$pid"
wait "$j1"
check "SIGTERM, --threads 1: the running request completes with 200" 200 "$(raw_status "$TMPD/term1")"
check "SIGTERM, --threads 1: exits" gone "$(proc_gone "$pid" 3)"
reap "$pid"
check "SIGTERM, --threads 1: exit status 0" 0 "$RC"

# The grace bounds the wait: a 6 s request, --shutdown.grace 1s.
adapter GRACE --upstream "$UP_MAIN" "${RP[@]}" --shutdown.grace 1s
pid=$(adapter_pid GRACE)
raw_req "$AADDR_GRACE" GET "/-/slow?ms=6000" >"$TMPD/grace" &
j1=$!
sleep 0.4
t0=$(now_ms)
kill -TERM "$pid"
gone=$(proc_gone "$pid" 4)
check "--shutdown.grace 1s: the process ends before the 6 s request" gone "$gone"
check_between "--shutdown.grace 1s: about 1 s after SIGTERM (ms)" 900 2500 "$(($(now_ms) - t0))"
reap "$pid"
check "--shutdown.grace 1s: exit status 0" 0 "$RC"
wait "$j1"
check "--shutdown.grace 1s: the cut request did not look complete" "" "$(raw_body "$TMPD/grace" | grep -x slow)"
check_match "--shutdown.grace 1s: logged" 'grace' "$(cat "$TMPD/adapter_GRACE.log")"

# ---- SIGHUP ---------------------------------------------------------------------------

adapter HUP --upstream "$UP_MAIN" "${RP[@]}" --threads 2
pid=$(adapter_pid HUP)
raw_req "$AADDR_HUP" GET "/-/slow?ms=1000" >"$TMPD/hup.1" &
j1=$!
sleep 0.3
kill -HUP "$pid"
sleep 0.3
kill -HUP "$pid"
wait "$j1"
check "SIGHUP during a request: it completes with 200" 200 "$(raw_status "$TMPD/hup.1")"
check "SIGHUP: the process keeps running" running "$(proc_gone "$pid" 1)"
raw_req "$AADDR_HUP" GET /-/echo >"$TMPD/hup.2"
check "SIGHUP: next request served" 200 "$(raw_status "$TMPD/hup.2")"
parallel "$AADDR_HUP" 2 "/-/slow?ms=2000"
check "SIGHUP: both threads still serve" 2 "$OK"
check_between "SIGHUP: still in parallel (ms; one after the other is 4000)" 1950 3500 "$MS"
check "SIGHUP: not a shutdown" 0 "$(grep -c 'stopping' "$TMPD/adapter_HUP.log")"
kill -TERM "$pid"
reap "$pid"
check "SIGTERM after SIGHUP: exits 0" 0 "$RC"

finish
