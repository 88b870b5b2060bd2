#!/bin/bash
# tests/integration/timeouts.sh: --upstream.timeout.connect, first-byte, idle
# and total (issue 4).  A timeout before the answer started is a 504 naming
# the upstream; after it started, the answer is aborted (README).  The
# defaults must not cut a legitimate slow query.
#
# The connect timeout needs a peer that does not complete the TCP handshake,
# on loopback only: net_helpers.py blackhole listens with a full accept queue,
# so the kernel drops further SYNs and connect() hangs.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
. "$top_srcdir/tests/integration/upstream_common.sh"

mock main --route-prefix /thanos
mock hang --route-prefix /thanos --mode hang
UP_MAIN="http://127.0.0.1:$MOCK_main"
UP_HANG="http://127.0.0.1:$MOCK_hang"
blackhole BH

# timed NAME METHOD SUBPATH: raw_req to adapter NAME into $TMPD/raw; sets MS.
timed() {
	local t0 addr
	eval "addr=\$AADDR_$1"
	t0=$(now_ms)
	raw_req "$addr" "$2" "$3" >"$TMPD/raw"
	MS=$(since_ms "$t0")
}

# Start every adapter first: their start-up does not count in the timings.
adapter FB --upstream "$UP_MAIN" "${RP[@]}" --upstream.timeout.first-byte 1s
adapter HANG --upstream "$UP_HANG" "${RP[@]}" --upstream.timeout.first-byte 1s
adapter CONN --upstream "http://127.0.0.1:$BH" "${RP[@]}" --upstream.timeout.connect 1s
adapter TOTAL --upstream "$UP_MAIN" "${RP[@]}" --upstream.timeout.total 1500ms
adapter IDLE --upstream "$UP_MAIN" "${RP[@]}" --upstream.timeout.idle 1s
adapter DEF --upstream "$UP_MAIN" "${RP[@]}"

# ---- first byte ---------------------------------------------------------------

# Each duration below is checked against the configured timeout, and the
# answer it cuts is long enough (6 s) to lie outside that bound (lib.sh).
timed FB GET "/-/slow?ms=6000"
check "first-byte 1s, answer after 6 s: 504" 504 "$(raw_status "$TMPD/raw")"
check_duration "first-byte 1s: 504 after the timeout (ms)" 1000 "$MS" 6000
check_match "first-byte 504: the log names the upstream" "127\\.0\\.0\\.1:$MOCK_main" "$(last_fail FB)"
check_match "first-byte 504: body says timeout" '[Tt]ime(out|d out)' "$(raw_body "$TMPD/raw")"
check_match "first-byte 504: one log line with method and path" \
	'msg="request failed" method=GET path="/thanos/-/slow\?ms=6000" err=".*[Tt]ime' "$(last_fail FB)"
timed FB GET "/-/slow?ms=300"
check "first-byte 1s, answer after 0.3 s: 200" 200 "$(raw_status "$TMPD/raw")"
check "first-byte 1s, answer after 0.3 s: body" slow "$(raw_body "$TMPD/raw")"

timed HANG GET /graph
check "first-byte 1s, upstream accepts and never answers: 504" 504 "$(raw_status "$TMPD/raw")"
check_duration "hanging upstream: 504 after the timeout (ms)" 1000 "$MS"
check_match "hanging upstream: the log names it" "127\\.0\\.0\\.1:$MOCK_hang" "$(last_fail HANG)"
printf 'query=up' >"$TMPD/form.txt"
t0=$(now_ms)
REQ_BODY=$TMPD/form.txt raw_req "$AADDR_HANG" POST /api/v1/query \
	CONTENT_TYPE=application/x-www-form-urlencoded >"$TMPD/raw"
check "hanging upstream, POST with a body: 504" 504 "$(raw_status "$TMPD/raw")"
check_duration "hanging upstream, POST: after the timeout (ms)" 1000 "$(since_ms "$t0")"

# ---- a header block ahead of a late body -------------------------------------

# A long poll: the upstream sends its headers, then nothing for 1.5 s.  The
# adapter holds small answers back to send them in one write, but never
# headers that wait for a body (first-byte 1s: the headers are the first byte).
REQ_TIMED=1 req FB GET /thanos "/-/bytes?n=100&head_ms=1500"
check_status "headers, then 1.5 s until the body" 200
read -r head <"$RESP_TIMING.head"
read -r first end <"$RESP_TIMING"
check_before "headers of a late body leave ahead of it (ms)" 1500 "$head"
check_duration "the late body follows after the mock's 1.5 s (ms)" 1500 "$first"
check "the late body is whole" 100 "$(rbody_size)"

# ---- connect ------------------------------------------------------------------

timed CONN GET /graph
check "connect 1s, SYN never answered: 504" 504 "$(raw_status "$TMPD/raw")"
check_duration "connect timeout: 504 after the timeout (ms)" 1000 "$MS"
check_match "connect timeout: the log names the upstream" "127\\.0\\.0\\.1:$BH" "$(last_fail CONN)"

# ---- total --------------------------------------------------------------------

timed TOTAL GET "/-/slow?ms=6000"
check "total 1500ms before the answer starts: 504" 504 "$(raw_status "$TMPD/raw")"
check_duration "total 1500ms: 504 after the timeout (ms)" 1500 "$MS" 6000
# 20 kB in 1 kB pieces every 200 ms: about 4 s, cut at 1.5 s.
timed TOTAL GET "/-/bytes?n=20000&chunk=1000&delay_ms=200&chunked=1"
check "total 1500ms, streaming 4 s: the answer had started (200)" 200 "$(raw_status "$TMPD/raw")"
check_duration "total 1500ms, streaming: cut after the timeout (ms)" 1500 "$MS" 4000
got=$(raw_body "$TMPD/raw" | wc -c | tr -d ' ')
check_between "total 1500ms, streaming: body cut short (bytes of 20000)" 1 15000 "$got"
check_match "total 1500ms, streaming: logged as a timeout" \
	'msg="request failed" method=GET path="/thanos/-/bytes.* err=".*([Tt]ime|[Tt]imeout)' "$(last_fail TOTAL)"
timed TOTAL GET "/-/slow?ms=500"
check "total 1500ms, answer in 0.5 s: 200" 200 "$(raw_status "$TMPD/raw")"

# ---- idle ---------------------------------------------------------------------

# 1 kB, then 5 s of silence: cut 1 s into the silence.
timed IDLE GET "/-/bytes?n=3000&chunk=1000&delay_ms=5000&chunked=1"
check "idle 1s, 5 s gap: the answer had started (200)" 200 "$(raw_status "$TMPD/raw")"
check_duration "idle 1s, 5 s gap: cut after the timeout (ms)" 1000 "$MS" 5000
got=$(raw_body "$TMPD/raw" | wc -c | tr -d ' ')
check_between "idle 1s: body cut short (bytes of 3000)" 1 2999 "$got"
check_match "idle 1s: logged as an idle timeout" 'msg="request failed" method=GET path="/thanos/-/bytes.* err=".*idle' \
	"$(last_fail IDLE)"
# A stream that keeps flowing (a piece every 300 ms, 3 s in all) is not cut.
req IDLE GET /thanos "/-/bytes?n=10000&chunk=1000&delay_ms=300&chunked=1"
check_status "idle 1s, a piece every 0.3 s for 3 s" 200
check "idle 1s, flowing stream: whole" 10000 "$(rbody_size)"
check "idle 1s, flowing stream: sha256" "$(rh X-Body-Sha256)" "$(rbody_sha)"
# The idle timeout does not apply before the first byte (first-byte does).
timed IDLE GET "/-/slow?ms=2000"
check "idle 1s, 2 s until the first byte: 200" 200 "$(raw_status "$TMPD/raw")"

# ---- defaults -----------------------------------------------------------------

timed DEF GET "/-/slow?ms=3000"
check "default timeouts, a legitimate 3 s answer: 200" 200 "$(raw_status "$TMPD/raw")"
check "default timeouts, 3 s answer: body" slow "$(raw_body "$TMPD/raw")"
check_duration "default timeouts, 3 s answer: waited for it (ms)" 3000 "$MS"
check_match "defaults per --help: connect 5s, first byte 5m, idle 5m, total 30m" \
	'connect.*default 5s.*first-byte.*default 5m.*idle.*default 5m.*total.*default 30m' \
	"$("$THANOS_FCGI_BIN" --help | tr '\n' ' ' | grep -o 'upstream.timeout.connect.*timeout.total=DURATION.\{0,200\}')"

# ---- a timeout after the request was sent is not retried ---------------------------

# (the hang mock reads no request: count its connections instead)
adapter TWO --upstream "$UP_HANG" --upstream "$UP_MAIN" "${RP[@]}" --upstream.timeout.first-byte 1s
hit=0
for i in 1 2 3 4; do
	h0=$(mock_opened hang)
	m0=$(mock_requests main)
	timed TWO GET "/-/echo?try=$i"
	if [ "$(mock_opened hang)" -gt "$h0" ]; then
		hit=1
		check "hang + live replica, request sent to the hanging one: 504" 504 "$(raw_status "$TMPD/raw")"
		check "hang + live replica: the query is not run twice" "$m0" "$(mock_requests main)"
		check_duration "hang + live replica: 504 after the timeout (ms)" 1000 "$MS"
		break
	fi
	check "hang + live replica, live one first: 200" 200 "$(raw_status "$TMPD/raw")"
done
check "hang + live replica: a request reached the hanging one" 1 "$hit"
check "a first-byte timeout is not a down mark" 0 "$(grep -c 'marked down' "$TMPD/adapter_TWO.log")"

# ---- the environment, CGI mode -------------------------------------------------------

MODE=cgi
adapter CGIFB --upstream "$UP_HANG" "${RP[@]}" --upstream.timeout.first-byte 1s
req CGIFB GET /thanos /graph
check_status "CGI, THANOS_FCGI_UPSTREAM_TIMEOUT_FIRST_BYTE=1s, hanging upstream" 504

# ---- bad values are refused at start ---------------------------------------------

for v in "--upstream.timeout.connect=abc" "--upstream.timeout.total=-1s" "--upstream.timeout.idle=5"; do
	out=$("$THANOS_FCGI_BIN" "$v" --listen "127.0.0.1:$(free_port)" 2>&1 </dev/null)
	rc=$?
	check "$v: exit 2" 2 "$rc"
	check_match "$v: one line naming the option" "${v%%=*}" "$out"
done

finish
