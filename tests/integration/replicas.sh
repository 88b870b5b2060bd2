#!/bin/bash
# tests/integration/replicas.sh: several --upstream replicas (issue 4).
#
# Round robin over the replicas; one that refuses (a closed port) or does
# not connect in time (net_helpers.py blackhole: a full accept queue) is
# marked down for --upstream.down-backoff and skipped; a request is retried
# on the next replica only while nothing went to the client, and once the
# request may have reached a replica only for idempotent methods (nginx's
# proxy_next_upstream); every replica failing gives a 502 naming each.
# The same with the replicas as request parameters (one route per mount).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
. "$top_srcdir/tests/integration/upstream_common.sh"

# mock_count NAME REGEX: how many request lines of mock NAME match REGEX.
mock_count() { grep -Ec "^mock: conn [0-9]+ \"$2" "$TMPD/mock_$1.log"; }
# marked_down NAME: how many "marked down" lines adapter NAME logged.
marked_down() { grep -c 'marked down' "$TMPD/adapter_$1.log"; }

mock good --route-prefix /thanos
mock good2 --route-prefix /thanos
mock reset --route-prefix /thanos --mode reset
hold_dead_port DEAD
hold_dead_port DEAD2
UP_GOOD="http://127.0.0.1:$MOCK_good"
UP_DEAD="http://127.0.0.1:$DEAD"

# ---- requests spread over two live replicas ------------------------------------

adapter SPREAD --upstream "$UP_GOOD" --upstream "http://127.0.0.1:$MOCK_good2" "${RP[@]}"
for i in 1 2 3 4 5 6 7 8; do req SPREAD GET /thanos /-/echo >/dev/null; done
check_match "spread: replica 1 served some of 8 ($(mock_requests good))" '^[2-6]$' "$(mock_requests good)"
check_match "spread: replica 2 served some of 8 ($(mock_requests good2))" '^[2-6]$' "$(mock_requests good2)"
check "spread: none marked down" 0 "$(marked_down SPREAD)"
good_base=$(mock_requests good)

# ---- the same replicas as request parameters (nginx fastcgi_param) ----------------
# One route per mount, kept across requests: round robin and down marks
# work as with the process's own settings (before, each request built its
# replicas anew: always replica 1 first, a dead one marked down each time).

adapter PARAMS --upstream "http://127.0.0.1:$DEAD2" "${RP[@]}" --upstream.down-backoff 60s
g1=$(mock_requests good) g2=$(mock_requests good2)
for i in 1 2 3 4 5 6 7 8; do
	req PARAMS GET /thanos /-/echo THANOS_FCGI_UPSTREAM="$UP_GOOD,http://127.0.0.1:$MOCK_good2" >/dev/null
done
check_match "params: replica 1 served some of 8 ($(($(mock_requests good) - g1)))" '^[2-6]$' "$(($(mock_requests good) - g1))"
check_match "params: replica 2 served some of 8 ($(($(mock_requests good2) - g2)))" '^[2-6]$' "$(($(mock_requests good2) - g2))"
ok=0
for i in 1 2 3 4 5 6; do
	req PARAMS GET /thanos /-/echo THANOS_FCGI_UPSTREAM="$UP_DEAD,$UP_GOOD" >/dev/null
	[ "$RESP_CODE" = 200 ] && ok=$((ok + 1))
done
check "params, one replica refuses: 6 of 6 GETs succeed" 6 "$ok"
check "params, one replica refuses: marked down once, not once a request" 1 "$(marked_down PARAMS)"
good_base=$(mock_requests good)

# ---- one replica refuses: skipped after the first failure --------------------------

adapter ONEDEAD --upstream "$UP_DEAD" --upstream "$UP_GOOD" "${RP[@]}" \
	--upstream.down-backoff 60s
ok=0 slowest=0
for i in $(seq 1 10); do
	t0=$(now_ms)
	raw_req "$AADDR_ONEDEAD" GET "/-/echo?i=$i" >"$TMPD/raw"
	t=$(since_ms "$t0")
	[ "$t" -gt "$slowest" ] && slowest=$t
	[ "$(raw_status "$TMPD/raw")" = 200 ] && grep -q "\"query\":\"i=$i\"" "$TMPD/raw" && ok=$((ok + 1))
done
check "one replica refuses: 10 of 10 GETs succeed" 10 "$ok"
check "one replica refuses: the live one served all 10" 10 "$(($(mock_requests good) - good_base))"
check "one replica refuses: marked down once" 1 "$(marked_down ONEDEAD)"
check_match "one replica refuses: the log names it" "upstream $UP_DEAD marked down" \
	"$(grep 'marked down' "$TMPD/adapter_ONEDEAD.log")"
check_duration "one replica refuses: the slowest request still answered at once (ms)" 0 "$slowest"
check "one replica refuses: no error answered" 0 "$(grep -c 'msg="request failed"' "$TMPD/adapter_ONEDEAD.log")"

# A POST to a refusing replica is retried: nothing was sent.
head -c 3000 /dev/urandom >"$TMPD/post.bin"
want_sha=$(sha256sum <"$TMPD/post.bin" | cut -d' ' -f1)
adapter POSTDEAD --upstream "$UP_DEAD" --upstream "$UP_GOOD" "${RP[@]}" --upstream.down-backoff 60s
ok=0
for i in 1 2 3; do
	REQ_BODY=$TMPD/post.bin req POSTDEAD POST /thanos /-/echo CONTENT_TYPE=application/octet-stream >/dev/null
	[ "$RESP_CODE" = 200 ] && [ "$(jget 'd["body_sha256"]')" = "$want_sha" ] && ok=$((ok + 1))
done
check "POST, refusing replica: 3 of 3 arrive whole on the live one" 3 "$ok"
check "POST, refusing replica: marked down once" 1 "$(marked_down POSTDEAD)"

# After the back-off the replica is tried again (and marked down again):
# requests go on until the second mark (the event), which must come after
# the configured back-off, counted from the request that made the first.
# backoff_ok N: how many of N requests to BACKOFF answer 200.
backoff_ok() {
	local i ok=0
	for ((i = 0; i < $1; i++)); do
		raw_req "$AADDR_BACKOFF" GET /-/echo >"$TMPD/raw"
		[ "$(raw_status "$TMPD/raw")" = 200 ] && ok=$((ok + 1))
	done
	echo "$ok"
}
adapter BACKOFF --upstream "$UP_DEAD" --upstream "$UP_GOOD" "${RP[@]}" --upstream.down-backoff 1500ms
ok=$(backoff_ok 1)
t0=$(now_ms)
ok=$((ok + $(backoff_ok 3)))
check "back-off 1500ms: 4 of 4" 4 "$ok"
check "back-off 1500ms: marked down once" 1 "$(marked_down BACKOFF)"
n=0 ok=0
while [ "$(marked_down BACKOFF)" -lt 2 ] && [ "$(since_ms "$t0")" -le $(($(guard 1500) * 1000)) ]; do
	n=$((n + 1)) ok=$((ok + $(backoff_ok 1)))
done
check_duration "back-off 1500ms: tried again once it ran out (ms)" 1500 "$(since_ms "$t0")"
check "back-off 1500ms: every request while it ran out answered ($n)" "$n" "$ok"
ok=$(backoff_ok 4)
check "back-off 1500ms: still 4 of 4 after the back-off" 4 "$ok"
check "back-off 1500ms: tried again after the back-off, marked down again" 2 "$(marked_down BACKOFF)"

# ---- one replica does not connect in time ---------------------------------------

blackhole BH
adapter SLOWCONN --upstream "http://127.0.0.1:$BH" --upstream "$UP_GOOD" "${RP[@]}" \
	--upstream.timeout.connect 1s --upstream.down-backoff 60s
ok=0
t0=$(now_ms)
raw_req "$AADDR_SLOWCONN" GET /-/echo >"$TMPD/raw"
first=$(since_ms "$t0")
[ "$(raw_status "$TMPD/raw")" = 200 ] && ok=1
t0=$(now_ms)
for i in 2 3 4 5 6; do
	raw_req "$AADDR_SLOWCONN" GET /-/echo >"$TMPD/raw"
	[ "$(raw_status "$TMPD/raw")" = 200 ] && ok=$((ok + 1))
done
rest=$(since_ms "$t0")
check "connect timeout on one replica: 6 of 6 succeed" 6 "$ok"
check "connect timeout: marked down once" 1 "$(marked_down SLOWCONN)"
check_duration "connect timeout: the first request waited for the timeout (ms)" 1000 "$first"
check_duration "connect timeout: the next 5 skip it, at once (ms)" 0 "$rest" 5000

# ---- not retried once sent, unless idempotent ---------------------------------------
#
# The reset replica reads the whole request, then resets the connection.  Which
# replica comes first is the round robin's choice, so each request is judged by
# which mocks saw it.

adapter RST --upstream "http://127.0.0.1:$MOCK_reset" --upstream "$UP_GOOD" "${RP[@]}"

# rst_try METHOD BODY SUBPATH: one request to RST (with $TMPD/post.bin as
# its body when BODY is 1); RESET_SAW is 1 when the resetting replica got
# it, GOOD_GOT how many times the live one did.
rst_try() {
	local r0 g0
	r0=$(mock_count reset "$1 ")
	g0=$(mock_count good "$1 ")
	if [ "$2" = 1 ]; then
		REQ_BODY=$TMPD/post.bin req RST "$1" /thanos "$3" CONTENT_TYPE=application/octet-stream
	else
		req RST "$1" /thanos "$3"
	fi
	RESET_SAW=0
	[ "$(mock_count reset "$1 ")" -gt "$r0" ] && RESET_SAW=1
	GOOD_GOT=$(($(mock_count good "$1 ") - g0))
}

post_hit=0 post_ok=1 get_hit=0 get_ok=1
for i in 1 2 3 4; do
	rst_try POST 1 /-/echo
	if [ "$RESET_SAW" = 1 ]; then
		post_hit=$((post_hit + 1))
		check "POST $i reached the resetting replica: 502" 502 "$RESP_CODE"
		check "POST $i reached the resetting replica: not retried on the next" 0 "$GOOD_GOT"
	else
		[ "$RESP_CODE" = 200 ] || post_ok=0
	fi
done
check_match "POSTs reached the resetting replica ($post_hit of 4)" '^[1-4]$' "$post_hit"
check "POSTs to the live replica first: 200" 1 "$post_ok"
check "a POST reset is not a down mark" 0 "$(marked_down RST)"

for i in 1 2 3 4; do
	rst_try GET 0 "/-/echo?get=$i"
	if [ "$RESET_SAW" = 1 ]; then
		get_hit=$((get_hit + 1))
		check "GET $i reset by the first replica: retried, 200" 200 "$RESP_CODE"
		check "GET $i reset by the first replica: the live one saw it" 1 "$GOOD_GOT"
		check "GET $i: the answer is the live replica's" "get=$i" "$(jget 'd["query"]')"
	else
		[ "$RESP_CODE" = 200 ] || get_ok=0
	fi
done
check_match "GETs reached the resetting replica ($get_hit of 4)" '^[1-4]$' "$get_hit"
check "GETs to the live replica first: 200" 1 "$get_ok"

# until_reset METHOD BODY: sends METHOD (with $TMPD/post.bin when BODY is 1)
# until one reaches the resetting replica (at most 4 tries); then RESP_CODE
# is that request's answer and GOOD_SAW says whether the live replica got it
# too.  HIT is 0 when none reached the resetting replica.
until_reset() {
	local i
	HIT=0 GOOD_SAW=0
	for i in 1 2 3 4; do
		rst_try "$1" "$2" /-/echo
		if [ "$RESET_SAW" = 1 ]; then
			HIT=1
			[ "$GOOD_GOT" -gt 0 ] && GOOD_SAW=1
			return
		fi
	done
}
# DELETE is idempotent: retried like GET.  PATCH is not.
until_reset DELETE 0
check "DELETE reached the resetting replica" 1 "$HIT"
check "DELETE reset by the first replica: retried, 200" 200 "$RESP_CODE"
check "DELETE reset by the first replica: the live one got it" 1 "$GOOD_SAW"
until_reset PATCH 1
check "PATCH reached the resetting replica" 1 "$HIT"
check "PATCH reset by the first replica: 502" 502 "$RESP_CODE"
check "PATCH reset by the first replica: not sent to the next" 0 "$GOOD_SAW"
# A PUT is idempotent, but its body was read from the web server and cannot
# be sent again (README: retried only while no body byte has been read).
until_reset PUT 1
check "PUT with a body reached the resetting replica" 1 "$HIT"
check "PUT with a body, reset: 502" 502 "$RESP_CODE"
check "PUT with a body, reset: not sent to the next" 0 "$GOOD_SAW"

# ---- all down ------------------------------------------------------------------------

adapter ALLDEAD --upstream "$UP_DEAD" --upstream "http://127.0.0.1:$DEAD2" "${RP[@]}"
for round in 1 2; do
	req ALLDEAD GET /thanos /graph
	check_status "all down (round $round)" 502
	check_match "all down: text/plain" '^text/plain' "$(rh Content-Type)"
	check "all down: the body is generic" "thanos-fcgi: upstream failed" "$(rbody)"
	check "all down: body is one line" 1 "$(wc -l <"$RESP_BODY" | tr -d ' ')"
done
check_match "all down: one log line naming both" "method=GET path=/thanos/graph err=\".*:($DEAD\\b.*:$DEAD2|$DEAD2\\b.*:$DEAD)\\b" \
	"$(last_fail ALLDEAD)"
check "all down: each marked down once" 2 "$(marked_down ALLDEAD)"

# A reset on every replica: GET tries both, 502 names both.
mock reset2 --route-prefix /thanos --mode reset
adapter ALLRST --upstream "http://127.0.0.1:$MOCK_reset" --upstream "http://127.0.0.1:$MOCK_reset2" "${RP[@]}"
req ALLRST GET /thanos /graph
check_status "every replica resets: 502" 502
check_match "every replica resets: the log line names both" \
	":$MOCK_reset\\b.*:$MOCK_reset2\\b|:$MOCK_reset2\\b.*:$MOCK_reset\\b" "$(last_fail ALLRST)"

# The same over the environment and CGI: THANOS_FCGI_UPSTREAM is a list.
MODE=cgi
adapter CGI --upstream "$UP_DEAD,$UP_GOOD" "${RP[@]}"
ok=0
for i in 1 2 3; do req CGI GET /thanos /-/echo >/dev/null; [ "$RESP_CODE" = 200 ] && ok=$((ok + 1)); done
check "CGI, THANOS_FCGI_UPSTREAM=dead,live: 3 of 3" 3 "$ok"

finish
