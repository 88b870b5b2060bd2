#!/bin/bash
# tests/integration/metrics.sh: the adapter's own metrics at
# --web.metrics-path, as CGI (each request a process: the counters live in
# --metrics.file) and on --listen (two processes sharing one file, and one
# with the counters in its own memory), against the mock Thanos: a known
# sequence of requests (200s, a HEAD 405, 404s, a 400, a refused upstream,
# a first-byte timeout, an unknown method), then exact values in the scrape.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
need python3 awk

mock main --route-prefix /thanos
hold_dead_port DEAD
UP_MAIN="http://127.0.0.1:$MOCK_main"
UP_DEAD="http://127.0.0.1:$DEAD"
MP=/-/thanos-fcgi/metrics
VERSION=$(env -u THANOS_FCGI_BIN "$THANOS_FCGI_BIN" --version | awk 'NR == 1 { print $2 }')

# series NAME{LABELS}: its value in the last answer's body ("" when absent).
series() { awk -v s="$1" 'index($0, s " ") == 1 { print substr($0, length(s) + 2) }' "$RESP_BODY"; }
# total NAME: the sum over every series of NAME (labels or none).
total() { awk -v n="$1" '$1 == n || index($1, n "{") == 1 { t += $2 } END { print t + 0 }' "$RESP_BODY"; }

# How many requests for the metrics path (its query aside) the mock saw.
metrics_forwarded() {
	grep -cE '^mock: conn [0-9]+ "[A-Z]+ /thanos/-/thanos-fcgi/metrics(\?[^ ]*)? HTTP' \
		"$TMPD/mock_main.log"
}

# The sequence; OUT_BYTES sums the body bytes the upstream's answers
# carried to the client (the adapter's own error pages are not counted).
OUT_BYTES=0
forwarded() { OUT_BYTES=$((OUT_BYTES + $(rbody_size))); }
sequence() {
	OUT_BYTES=0
	req A GET /thanos "/api/v1/query?query=up"
	check_status "200 query" 200
	forwarded
	req A GET /thanos "/api/v1/query?query=up"
	forwarded
	req A HEAD /thanos /graph
	check_status "HEAD /graph: the mock's 405" 405
	req A GET /thanos /nope
	check_status "404 from the mock" 404
	forwarded
	req A GET /thanos "/%2e%2e/etc/passwd"
	check_status "a dot segment: 400 from the adapter" 400
	printf 'query=up' >"$TMPD/form"
	REQ_BODY="$TMPD/form" req A POST /thanos /api/v1/query \
		CONTENT_TYPE=application/x-www-form-urlencoded
	check_status "POST query" 200
	forwarded
	req D GET /thanos "/api/v1/query?query=up"
	check_status "refused upstream" 502
	# a fresh process tries its first replica first: the dead one, then the mock
	req R GET /thanos "/api/v1/query?query=up"
	check_status "the dead replica first, then the mock" 200
	forwarded
	req A POST /thanos "$MP" CONTENT_LENGTH=0
	check_status "POST to the metrics path" 405
	check "POST to the metrics path: Allow" "GET, HEAD" "$(rh Allow)"
	req A HEAD /thanos "$MP"
	check_status "HEAD of the metrics path" 200
	check "HEAD of the metrics path: no body" 0 "$(rbody_size)"
	check_match "HEAD of the metrics path: a length" '^[0-9]{3,}$' "$(rh Content-Length)"
	check "the metrics path never reached the upstream" 0 "$(metrics_forwarded)"
	# last: the mock logs this request when its sleep ends, later; the
	# sleep outlasts the first-byte 1s's bound (lib.sh's guard)
	req A GET /thanos "/-/slow?ms=$(($(guard 1000) * 1000))"
	check_status "first-byte timeout" 504
	req A PROPFIND /thanos /nope
	check_status "PROPFIND: the mock's 404" 404
	forwarded
	req A GET /thanos "$MP/x"
	check_status "under the metrics path: forwarded (the mock's 404)" 404
	forwarded
}

check_scrape() { # PROCESSES
	req A GET /thanos "$MP?ignored=1"
	check_status "scrape" 200
	check "scrape: content type" "text/plain; version=0.0.4; charset=utf-8" "$(rh Content-Type)"
	check "scrape: GET 200" 3 "$(series 'thanos_fcgi_requests_total{code="200",method="GET"}')"
	check "scrape: POST 200" 1 "$(series 'thanos_fcgi_requests_total{code="200",method="POST"}')"
	check "scrape: HEAD 405" 1 "$(series 'thanos_fcgi_requests_total{code="405",method="HEAD"}')"
	check "scrape: GET 404" 2 "$(series 'thanos_fcgi_requests_total{code="404",method="GET"}')"
	check "scrape: GET 400" 1 "$(series 'thanos_fcgi_requests_total{code="400",method="GET"}')"
	check "scrape: GET 502" 1 "$(series 'thanos_fcgi_requests_total{code="502",method="GET"}')"
	check "scrape: GET 504" 1 "$(series 'thanos_fcgi_requests_total{code="504",method="GET"}')"
	check "scrape: PROPFIND is other" 1 "$(series 'thanos_fcgi_requests_total{code="404",method="other"}')"
	check "scrape: 11 requests, the metrics path's own not among them" 11 \
		"$(total thanos_fcgi_requests_total)"
	check "scrape: refused, the retried attempt too" 2 "$(series 'thanos_fcgi_upstream_errors_total{cause="refused"}')"
	check "scrape: timeout" 1 "$(series 'thanos_fcgi_upstream_errors_total{cause="timeout"}')"
	check "scrape: no other cause" 3 "$(total thanos_fcgi_upstream_errors_total)"
	check "scrape: one retry" 1 "$(series thanos_fcgi_upstream_retries_total)"
	check "scrape: request body bytes" 8 "$(series thanos_fcgi_request_bytes_total)"
	check "scrape: response body bytes" "$OUT_BYTES" "$(series thanos_fcgi_response_bytes_total)"
	check "scrape: 10 requests' last attempts timed" 10 "$(series thanos_fcgi_upstream_duration_seconds_count)"
	check "scrape: +Inf bucket = count" 10 "$(series 'thanos_fcgi_upstream_duration_seconds_bucket{le="+Inf"}')"
	check "scrape: 8 first bytes (not the refused, not the timeout)" 8 \
		"$(series thanos_fcgi_upstream_first_byte_seconds_count)"
	check_match "scrape: the timeout's second in the sum" '^([1-9][0-9]*)\.[0-9]{3}$' \
		"$(series thanos_fcgi_upstream_duration_seconds_sum)"
	check "scrape: nothing in flight" 0 "$(series thanos_fcgi_requests_in_flight)"
	check "scrape: live processes" "$1" "$(series thanos_fcgi_processes)"
	check "scrape: the mock is up" 1 "$(series "thanos_fcgi_upstream_up{upstream=\"$UP_MAIN\"}")"
	check "scrape: build info" 1 "$(series "thanos_fcgi_build_info{version=\"$VERSION\"}")"
	req D GET /thanos "$MP"
	check "scrape through the other process: the same count" 11 "$(total thanos_fcgi_requests_total)"
	check "scrape through the other: the dead replica is down" 0 \
		"$(series "thanos_fcgi_upstream_up{upstream=\"$UP_DEAD\"}")"
	check "the scrapes never reached the upstream" 0 "$(metrics_forwarded)"
}

for MODE in cgi listen; do
	echo "# $MODE, one --metrics.file"
	F="$TMPD/metrics.$MODE"
	adapter A --upstream "$UP_MAIN" --web.route-prefix /thanos --web.metrics-path "$MP" \
		--metrics.file "$F" --upstream.timeout.first-byte 1s
	adapter D --upstream "$UP_DEAD" --web.route-prefix /thanos --web.metrics-path "$MP" \
		--metrics.file "$F"
	adapter R --upstream "$UP_DEAD,$UP_MAIN" --web.route-prefix /thanos \
		--web.metrics-path "$MP" --metrics.file "$F"
	sequence
	if [ "$MODE" = cgi ]; then check_scrape 1; else check_scrape 3; fi
done

echo "# --listen, the process's own memory"
adapter P --upstream "$UP_MAIN" --web.route-prefix /thanos --web.metrics-path "$MP"
req P GET /thanos /api/v1/labels
req P GET /thanos "$MP"
check "own memory: one request" 1 "$(total thanos_fcgi_requests_total)"
check "own memory: GET 200" 1 "$(series 'thanos_fcgi_requests_total{code="200",method="GET"}')"
check "own memory: one process" 1 "$(series thanos_fcgi_processes)"
adapter OFF --upstream "$UP_MAIN" --web.route-prefix /thanos
req OFF GET /thanos "$MP"
check_status "no --web.metrics-path: the path is forwarded (the mock's 404)" 404
check "no --web.metrics-path: the mock saw it (the count above can see one)" 1 "$(metrics_forwarded)"

# A file another version (or another program) made: refused at start.
printf 'TFCGIMET\002\000\000\000' >"$TMPD/other.metrics"
head -c 70000 /dev/zero >>"$TMPD/other.metrics"
env -u THANOS_FCGI_BIN "$THANOS_FCGI_BIN" --listen "127.0.0.1:$(free_port)" \
	--metrics.file "$TMPD/other.metrics" >/dev/null 2>"$TMPD/other.err"
check "another version's file: exit status 2" 2 "$?"
check_match "another version's file: named, and what to do" \
	"metrics.file $TMPD/other.metrics: made by another thanos-fcgi version .*remove it" \
	"$(cat "$TMPD/other.err")"
MODE=cgi
adapter X --upstream "$UP_MAIN" --metrics.file "$TMPD/other.metrics"
req X GET /thanos /graph
check_status "CGI, another version's file: 500" 500
check_match "CGI, another version's file: the cause" "another thanos-fcgi version" "$(rbody)"
finish
