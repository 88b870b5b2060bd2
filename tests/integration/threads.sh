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

# keep ADDR REQUESTS OUT: net_helpers.py fcgi-keep sends REQUESTS requests
# on one connection to ADDR, then holds it idle until killed (KJ is its
# pid); waits until their answers are in OUT.
keep() {
	: >"$3" # here, not in the background job: log_count must not see an old file
	"$PY" "$NETH" fcgi-keep --connect "$1" --requests "$2" --hold "$(guard)" --timeout "$(guard)" \
		>"$3" 2>"$3.err" &
	KJ=$!
	log_count "$3" '^status' "$2" >/dev/null
}

# unkeep: ends the fcgi-keep started last.
unkeep() {
	kill "$KJ" 2>/dev/null
	wait "$KJ" 2>/dev/null
}

# served ADDR: how many of 3 new connections to ADDR are answered 200, each
# within "at once" (guard 0: a thread held by a kept connection would leave
# them waiting until it is killed).
served() {
	local i ok=0
	for i in 1 2 3; do
		REQ_TIMEOUT=$(guard 0) raw_req "$1" GET /-/echo >"$TMPD/raw"
		[ "$(raw_status "$TMPD/raw")" = 200 ] && ok=$((ok + 1))
	done
	echo "$ok"
}

# sigterm_ms PID: sends SIGTERM to PID, waits (guard) for it to end; prints
# the ms that took.
sigterm_ms() {
	local t0
	t0=$(now_ms)
	kill -TERM "$1"
	proc_gone "$1" >/dev/null
	since_ms "$t0"
}

# under_way NAME SUBPATH OUT: a raw_req GET of SUBPATH to adapter NAME in
# the background into OUT (J is its pid), back once mock main has accepted
# its connection (the event: the request is under way).
under_way() {
	local -n addr="AADDR_$1"
	local o
	o=$(mock_opened main)
	raw_req "$addr" GET "$2" >"$3" &
	J=$!
	mock_wait_opened main $((o + 1))
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
check_duration "--threads 4: 4 x 2 s requests in parallel (ms)" 2000 "$MS" 8000
parallel "$AADDR_T4" 4 "/-/slow?ms=1000"
check "--threads 4, second round: 4 of 4" 4 "$OK"
check_duration "--threads 4, second round: 4 x 1 s in parallel (ms)" 1000 "$MS" 4000
check "--threads 4: 8 requests reached the mock" 8 "$(mock_requests t4)"
c=$(mock_connections t4)
check_between "--threads 4: each thread kept its connection (connections for 8 requests)" 1 4 "$c"

# ---- --threads 1 and the default: one at a time ------------------------------------

adapter T1 --upstream "$UP_MAIN" "${RP[@]}" --threads 1
parallel "$AADDR_T1" 3 "/-/slow?ms=1500"
check "--threads 1: 3 of 3 answered" 3 "$OK"
check_duration "--threads 1: 3 x 1.5 s one after the other (ms)" 4500 "$MS"
adapter TDEF --upstream "$UP_MAIN" "${RP[@]}"
check_match "default: one thread" ' 1 thread\(s\)' "$(cat "$TMPD/adapter_TDEF.log")"
parallel "$AADDR_TDEF" 2 "/-/slow?ms=1000"
check "default: 2 of 2 answered" 2 "$OK"
check_duration "default: 2 x 1 s one after the other (ms)" 2000 "$MS"

# THANOS_FCGI_THREADS in the environment, FastCGI on fd 0 (spawn-fcgi).
MODE=spawn
adapter SP THANOS_FCGI_THREADS=3 --upstream "$UP_MAIN" "${RP[@]}"
parallel "$AADDR_SP" 3 "/-/slow?ms=1500"
check "spawn-fcgi, THANOS_FCGI_THREADS=3: 3 of 3 answered" 3 "$OK"
check_duration "spawn-fcgi, THANOS_FCGI_THREADS=3: in parallel (ms)" 1500 "$MS" 4500
MODE=listen

# ---- kept-alive FastCGI connections (nginx fastcgi_keep_conn on) -----------------------
#
# net_helpers.py fcgi-keep sends its requests on one connection with
# FCGI_KEEP_CONN, then keeps it open and idle as nginx's keepalive pool does.
# Every request on it must be answered, and an idle kept connection must not
# stop the other threads from serving new connections.

adapter KEEP --upstream "$UP_MAIN" "${RP[@]}" --threads 4
keep "$AADDR_KEEP" 3 "$TMPD/keep1.out"
kj=$KJ
# The adapter keeps the connection (FCGI_KEEP_CONN): all three requests are
# answered on it, one after the other.
check "--threads 4, FCGI_KEEP_CONN: 3 requests answered on one connection" \
	"status 200|status 200|status 200|" "$(tr '\n' '|' <"$TMPD/keep1.out")"
keep "$AADDR_KEEP" 1 "$TMPD/keep2.out"
check "--threads 4, idle kept connections open: new connections still served (3 of 3)" 3 "$(served "$AADDR_KEEP")"
unkeep
KJ=$kj unkeep

# An idle kept connection holds no thread: one thread serves it and others.
adapter KEEP1 --upstream "$UP_MAIN" "${RP[@]}" --threads 1
keep "$AADDR_KEEP1" 2 "$TMPD/keep3.out"
ok=$(served "$AADDR_KEEP1")
check "--threads 1, kept connection: 2 requests answered on it" \
	"status 200|status 200|" "$(tr '\n' '|' <"$TMPD/keep3.out")"
check "--threads 1, an idle kept connection open: new connections served (3 of 3)" 3 "$ok"
unkeep

# SIGTERM with an idle kept connection open: the process still ends, status 0.
for n in 1 2; do
	adapter "KTERM$n" --upstream "$UP_MAIN" "${RP[@]}" --threads "$n"
	var=AADDR_KTERM$n addr=${!var}
	keep "$addr" 1 "$TMPD/kterm$n.out"
	check "--threads $n, kept connection: answered" "status 200" "$(cat "$TMPD/kterm$n.out")"
	pid=$(adapter_pid "KTERM$n")
	check_duration "--threads $n, SIGTERM with an idle kept connection: ends at once (ms)" 0 "$(sigterm_ms "$pid")"
	if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
	reap "$pid"
	check "--threads $n, SIGTERM with an idle kept connection: exit status 0" 0 "$RC"
	unkeep
done

# ---- SIGTERM --------------------------------------------------------------------------

# Idle: exits at once, status 0.
adapter IDLE --upstream "$UP_MAIN" "${RP[@]}"
pid=$(adapter_pid IDLE)
check_duration "SIGTERM, idle: process ends at once (ms)" 0 "$(sigterm_ms "$pid")"
reap "$pid"
check "SIGTERM, idle: exit status 0" 0 "$RC"

# Two requests running (2 s each) on --threads 4: both complete, then exit 0.
adapter TERM --upstream "$UP_MAIN" "${RP[@]}" --threads 4
pid=$(adapter_pid TERM)
t0=$(now_ms)
under_way TERM "/-/slow?ms=2000" "$TMPD/term.1"
j1=$J
under_way TERM "/-/slow?ms=2000" "$TMPD/term.2"
j2=$J
kill -TERM "$pid"
wait "$j1" "$j2"
check "SIGTERM during a slow request: it completes with 200" 200 "$(raw_status "$TMPD/term.1")"
check "SIGTERM during a slow request: whole body" slow "$(raw_body "$TMPD/term.1")"
check "SIGTERM during a second slow request: 200" 200 "$(raw_status "$TMPD/term.2")"
check "SIGTERM during a second slow request: whole body" slow "$(raw_body "$TMPD/term.2")"
check_duration "SIGTERM: requests took their 2 s (ms)" 2000 "$(since_ms "$t0")"
check "SIGTERM: the process ends after them" gone "$(proc_gone "$pid")"
reap "$pid"
check "SIGTERM: exit status 0" 0 "$RC"
check_match "SIGTERM: logged" 'stopping on signal' "$(cat "$TMPD/adapter_TERM.log")"
check "SIGTERM: no request failed" 0 "$(grep -c 'msg="request failed"' "$TMPD/adapter_TERM.log")"

# SIGTERM on --threads 1 with one running request.
adapter TERM1 --upstream "$UP_MAIN" "${RP[@]}" --threads 1
pid=$(adapter_pid TERM1)
under_way TERM1 "/-/slow?ms=1500" "$TMPD/term1"
kill -TERM "$pid"
wait "$J"
check "SIGTERM, --threads 1: the running request completes with 200" 200 "$(raw_status "$TMPD/term1")"
check "SIGTERM, --threads 1: exits" gone "$(proc_gone "$pid")"
reap "$pid"
check "SIGTERM, --threads 1: exit status 0" 0 "$RC"

# The grace bounds the wait: a 6 s request, --shutdown.grace 1s.
adapter GRACE --upstream "$UP_MAIN" "${RP[@]}" --shutdown.grace 1s
pid=$(adapter_pid GRACE)
under_way GRACE "/-/slow?ms=6000" "$TMPD/grace"
j1=$J
t0=$(now_ms)
kill -TERM "$pid"
gone=$(proc_gone "$pid" "$(guard 1000)")
ms=$(since_ms "$t0")
check "--shutdown.grace 1s: the process ends before the 6 s request" gone "$gone"
check_duration "--shutdown.grace 1s: after the grace, not the request (ms)" 1000 "$ms" 6000
reap "$pid"
check "--shutdown.grace 1s: exit status 0" 0 "$RC"
wait "$j1"
check "--shutdown.grace 1s: the cut request did not look complete" "" "$(raw_body "$TMPD/grace" | grep -x slow)"
check_match "--shutdown.grace 1s: logged" 'grace' "$(cat "$TMPD/adapter_GRACE.log")"

# ---- SIGHUP ---------------------------------------------------------------------------

adapter HUP --upstream "$UP_MAIN" "${RP[@]}" --threads 2
pid=$(adapter_pid HUP)
under_way HUP "/-/slow?ms=1000" "$TMPD/hup.1"
# (two in a row: they may come as one; the check is that none stops it)
kill -HUP "$pid"
kill -HUP "$pid"
wait "$J"
check "SIGHUP during a request: it completes with 200" 200 "$(raw_status "$TMPD/hup.1")"
raw_req "$AADDR_HUP" GET /-/echo >"$TMPD/hup.2"
check "SIGHUP: the process keeps running" running "$(kill -0 "$pid" 2>/dev/null && echo running || echo gone)"
check "SIGHUP: next request served" 200 "$(raw_status "$TMPD/hup.2")"
parallel "$AADDR_HUP" 2 "/-/slow?ms=2000"
check "SIGHUP: both threads still serve" 2 "$OK"
check_duration "SIGHUP: still in parallel (ms)" 2000 "$MS" 4000
check "SIGHUP: not a shutdown" 0 "$(grep -c 'stopping' "$TMPD/adapter_HUP.log")"
kill -TERM "$pid"
reap "$pid"
check "SIGTERM after SIGHUP: exits 0" 0 "$RC"

finish
