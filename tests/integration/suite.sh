# tests/integration/suite.sh: the checks every front end must pass (sourced
# by cgi.sh, fcgi.sh and spawn.sh after common.sh, with $MODE set; not run).
#
# run_suite starts the mocks and adapters it needs and runs every group.
# Adapters (all on the mock "main", R = /thanos unless said):
#   A     --web.route-prefix /thanos (E comes from SCRIPT_NAME per request)
#   B     mock "root" (R = "", --prefix-header X-Forwarded-Prefix),
#         --web.route-prefix /
#   DEAD  upstream on a closed port
#   HANG  mock --mode hang, --upstream.timeout.first-byte 1s
#   GARB, RST, BIGH  mock --mode garbage / reset / bighead
#   LIM   small --limits.* values

suite_setup() {
	mock main --route-prefix /thanos
	mock root --route-prefix "" --prefix-header X-Forwarded-Prefix
	mock hang --route-prefix /thanos --mode hang
	mock garbage --route-prefix /thanos --mode garbage
	mock reset --route-prefix /thanos --mode reset
	mock bighead --route-prefix /thanos --mode bighead
	hold_dead_port DEAD_PORT
	UP_MAIN="http://127.0.0.1:$MOCK_main"
	adapter A --upstream "$UP_MAIN" --web.route-prefix /thanos
	adapter B --upstream "http://127.0.0.1:$MOCK_root" --web.route-prefix /
	adapter DEAD --upstream "http://127.0.0.1:$DEAD_PORT" --web.route-prefix /thanos
	adapter HANG --upstream "http://127.0.0.1:$MOCK_hang" --web.route-prefix /thanos \
		--upstream.timeout.first-byte 1s
	adapter GARB --upstream "http://127.0.0.1:$MOCK_garbage" --web.route-prefix /thanos
	adapter RST --upstream "http://127.0.0.1:$MOCK_reset" --web.route-prefix /thanos
	adapter BIGH --upstream "http://127.0.0.1:$MOCK_bighead" --web.route-prefix /thanos
	adapter LIM --upstream "$UP_MAIN" --web.route-prefix /thanos \
		--limits.max-body-size 64KiB --limits.max-uri-size 2KiB \
		--limits.max-header-size 8KiB
}

# Bare prefixes and trailing slashes redirect under the public prefix.
t_redirects() {
	# E = R = /thanos
	req A GET /thanos ""
	check_status "E=R bare prefix" 302
	check "E=R bare prefix Location" /thanos/graph "$(rh Location)"
	req A GET /thanos /
	check_status "E=R prefix/" 200
	check_match "E=R prefix/ is index.html" 'GLOBAL_PATH_PREFIX="\\/thanos"' "$(rbody)"
	req A GET /thanos /graph/
	check_status "E=R graph/" 301
	check "E=R graph/ Location" /thanos/graph "$(rh Location)"
	req A GET /thanos "/graph/?g0.expr=up&g0.tab=1"
	check "E=R graph/ keeps the query" "/thanos/graph?g0.expr=up&g0.tab=1" "$(rh Location)"
	req A POST /thanos /graph/ CONTENT_LENGTH=0
	check_status "E=R POST graph/" 307
	check "E=R POST graph/ Location" /thanos/graph "$(rh Location)"

	# E = /pub, R = /thanos
	req A GET /pub ""
	check_status "E=/pub bare prefix" 302
	check "E=/pub bare prefix Location" /pub/graph "$(rh Location)"
	req A GET /pub /graph/
	check_status "E=/pub graph/" 301
	check "E=/pub graph/ Location" /pub/graph "$(rh Location)"
	req A GET /pub /graph
	check_status "E=/pub graph" 200

	# E = /thanos, R = "" (adapter --web.route-prefix /, mock without prefix)
	req B GET /thanos ""
	check_status "R=/ bare prefix" 302
	check "R=/ bare prefix Location" /thanos/graph "$(rh Location)"
	req B GET /thanos /
	check_status "R=/ prefix/" 302
	check "R=/ prefix/ Location" /thanos/graph "$(rh Location)"
	req B GET /thanos /graph/
	check "R=/ graph/ Location" /thanos/graph "$(rh Location)"

	# shared hosting: RewriteRule ^(.*)$ thanos.cgi/$1 (SPEC 3, rule 3)
	req A GET /thanos.cgi /graph/ REQUEST_URI=/thanos/graph/
	check_status "rewrite to thanos.cgi: graph/" 301
	check "rewrite to thanos.cgi: Location" /thanos/graph "$(rh Location)"
	# no REQUEST_URI (SPEC 3, rule 4)
	req A GET /thanos /graph/ -REQUEST_URI
	check "no REQUEST_URI: Location" /thanos/graph "$(rh Location)"
}

# Errors and special answers of the upstream pass through unchanged.
t_passthrough() {
	req A GET /thanos /no/such/page
	check_status "unknown page" 404
	check "unknown page body" "404 page not found" "$(rbody)"
	check "unknown page Content-Type" "text/plain; charset=utf-8" "$(rh Content-Type)"
	req A HEAD /thanos /graph
	check_status "HEAD graph" 405
	check "HEAD graph Allow" "GET, OPTIONS" "$(rh Allow)"
	check "HEAD graph has no body" 0 "$(rbody_size)"
	req A OPTIONS /thanos /api/v1/query HTTP_ORIGIN=http://www.example \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST
	check_status "OPTIONS api" 204
	check "OPTIONS api Access-Control-Allow-Origin" "*" "$(rh Access-Control-Allow-Origin)"
	check_match "OPTIONS api Access-Control-Allow-Methods" "POST" "$(rh Access-Control-Allow-Methods)"
	req A GET /thanos /static/js/main.abc123.js
	check_status "static js" 200
	direct "$UP_MAIN/thanos/static/js/main.abc123.js"
	check_file "static js bytes" "$TMPD/direct.body" "$RESP_BODY"
}

# The query API answers the same through the adapter as directly.
t_api() {
	local q='sum by (job) (rate(up{job="a b"}[5m])) / 2'
	req A GET /thanos "/api/v1/query?query=$(qenc "$q")&time=1700000000"
	check_status "GET query" 200
	check "GET query Content-Type" application/json "$(rh Content-Type)"
	direct "$UP_MAIN/thanos/api/v1/query?query=$(qenc "$q")&time=1700000000"
	check_file "GET query JSON as from the mock" "$TMPD/direct.body" "$RESP_BODY"
	check "GET query expression arrived" "$q" "$(jget 'd["query"]')"

	printf 'query=%s&start=1700000000&end=1700000060&step=15' "$(qenc "$q")" >"$TMPD/form.txt"
	REQ_BODY=$TMPD/form.txt req A POST /thanos /api/v1/query_range \
		CONTENT_TYPE=application/x-www-form-urlencoded
	check_status "POST query_range" 200
	direct "$UP_MAIN/thanos/api/v1/query_range" --data-binary "@$TMPD/form.txt" \
		-H 'Content-Type: application/x-www-form-urlencoded'
	check_file "POST query_range JSON as from the mock" "$TMPD/direct.body" "$RESP_BODY"
	check "POST query_range expression arrived" "$q" "$(jget 'd["query"]')"

	REQ_BODY=$TMPD/form.txt req A POST /thanos /api/v1/query CONTENT_TYPE=text/plain
	check_status "POST query, not a form" 400
	check "POST query, not a form: bad_data" bad_data "$(jget 'd["errorType"]')"
	req A GET /thanos /api/v1/query
	check_status "query without expression" 400
}

# Request bodies arrive whole; the path's encoding survives.
t_request() {
	head -c 1048576 /dev/urandom >"$TMPD/big.bin"
	local want
	want=$(sha256sum <"$TMPD/big.bin" | cut -d' ' -f1)
	REQ_BODY=$TMPD/big.bin req A POST /thanos /-/echo CONTENT_TYPE=application/octet-stream
	check_status "1 MiB POST" 200
	check "1 MiB POST length" 1048576 "$(jget 'd["body_len"]')"
	check "1 MiB POST sha256" "$want" "$(jget 'd["body_sha256"]')"
	check "1 MiB POST Content-Length upstream" 1048576 "$(echo_h Content-Length)"
	check "1 MiB POST without Expect" "<absent>" "$(echo_h Expect)"
	check "1 MiB POST Content-Type" application/octet-stream "$(echo_h Content-Type)"
	check "1 MiB POST method" POST "$(jget 'd["method"]')"

	printf 'x' >"$TMPD/one.txt"
	REQ_BODY=$TMPD/one.txt req A PUT /thanos /-/echo CONTENT_TYPE=text/plain
	check "PUT method" PUT "$(jget 'd["method"]')"
	check "PUT body" 1 "$(jget 'd["body_len"]')"
	req A DELETE /thanos /-/echo
	check "DELETE method" DELETE "$(jget 'd["method"]')"

	req A GET /thanos '/api/v1/label/a%2Fb%20c/values'
	check_status "label with %2F" 200
	check "label %2F%20 arrives raw" 'a%2Fb%20c' "$(jget 'd["name_raw"]')"
	check "label decodes to a/b c" 'a/b c' "$(jget 'd["name"]')"
	req A GET /thanos '/api/v1/label/%C3%A9t%C3%A9/values'
	check "UTF-8 label arrives raw" '%C3%A9t%C3%A9' "$(jget 'd["name_raw"]')"
	req A GET /thanos '/api/v1/label/a.b/values'
	check "dot inside a segment is fine" 'a.b' "$(jget 'd["name_raw"]')"
	req A GET /thanos '/api/v1/label/x%20y/values' -REQUEST_URI
	check "no REQUEST_URI: PATH_INFO re-encoded" 'x%20y' "$(jget 'd["name_raw"]')"
	req A GET /pub '/-/echo?a=%2F%20b&c=d+e&x=../..'
	check "E=/pub path under R" /thanos/-/echo "$(jget 'd["path"]')"
	check "query string arrives raw" 'a=%2F%20b&c=d+e&x=../..' "$(jget 'd["query"]')"

	# A body shorter than CONTENT_LENGTH (the client stopped sending): the
	# adapter must not sit waiting for the upstream, which waits for the rest.
	# (Its own adapter: a stuck worker would hold up the other groups.)
	adapter SHORT --upstream "$UP_MAIN" --web.route-prefix /thanos
	printf 'abc' >"$TMPD/short.txt"
	local t0 t1
	t0=$(now_ms)
	REQ_TIMEOUT=10 REQ_BODY=$TMPD/short.txt req SHORT POST /thanos /-/echo CONTENT_LENGTH=10 \
		CONTENT_TYPE=text/plain
	t1=$(now_ms)
	check_match "short body: given up at once ($((t1 - t0)) ms)" '^[0-9]{1,4}$' "$((t1 - t0))"
	check_match "short body: no answer, or neither success nor 504" \
		'^<(|Status: (4[0-9][0-9]|50[0-3]).*)>$' "<$RESP_FIRST>"
	t0=$(now_ms)
	REQ_TIMEOUT=10 req SHORT GET /thanos /-/healthy
	t1=$(now_ms)
	check_status "next request after a short body" 200
	check_match "next request after a short body is prompt ($((t1 - t0)) ms)" '^[0-9]{1,4}$' "$((t1 - t0))"
}

# Limits: 413, 414 and 431 (adapter LIM).
t_limits() {
	head -c 65536 /dev/zero >"$TMPD/64k.bin"
	REQ_BODY=$TMPD/64k.bin req LIM POST /thanos /-/echo CONTENT_TYPE=application/octet-stream
	check_status "body at the limit" 200
	check "body at the limit arrives" 65536 "$(jget 'd["body_len"]')"
	head -c 65537 /dev/zero >"$TMPD/64k1.bin"
	REQ_BODY=$TMPD/64k1.bin req LIM POST /thanos /-/echo CONTENT_TYPE=application/octet-stream
	check_status "body over the limit" 413
	local long
	long=$(head -c 3000 /dev/zero | tr '\0' a)
	req LIM GET /thanos "/-/echo?x=$long"
	check_match "URI over the limit: Status: 414 (or 400) first" '^Status: (414|400) ' "$RESP_FIRST"
	req LIM GET /thanos /-/echo "HTTP_X_BIG=$(head -c 10000 /dev/zero | tr '\0' b)"
	check_status "headers over the limit" 431
	req LIM GET /thanos /-/echo "HTTP_X_SMALL=$(head -c 1000 /dev/zero | tr '\0' b)"
	check_status "headers under the limit" 200
}

# What the upstream learns about the client, and what it must not get.
t_forwarded() {
	req A GET /thanos /-/echo HTTP_HOST=public.example HTTP_X_FORWARDED_FOR=10.0.0.1 \
		REMOTE_ADDR=192.0.2.7 HTTPS=on HTTP_X_FORWARDED_PREFIX=/evil \
		HTTP_PROXY=http://127.0.0.1:$DEAD_PORT HTTP_PROXY_AUTHORIZATION='Basic eDp5' \
		"HTTP_CONNECTION=keep-alive, X-Drop-Me" HTTP_X_DROP_ME=1 HTTP_KEEP_ALIVE=300 \
		HTTP_TE=trailers HTTP_TRAILER=X-T HTTP_UPGRADE=h2c HTTP_X_KEEP_ME=kept \
		HTTP_ACCEPT=application/json
	check_status "echo with client headers" 200
	check "Host is the upstream's" "127.0.0.1:$MOCK_main" "$(echo_h Host)"
	check "X-Forwarded-For appends REMOTE_ADDR" "10.0.0.1, 192.0.2.7" "$(echo_h X-Forwarded-For)"
	check "client X-Forwarded-Prefix replaced by E" /thanos "$(echo_h X-Forwarded-Prefix)"
	check "X-Forwarded-Proto with HTTPS=on" https "$(echo_h X-Forwarded-Proto)"
	check "X-Forwarded-Host is the client's Host" public.example "$(echo_h X-Forwarded-Host)"
	check "HTTP_PROXY not forwarded as Proxy" "<absent>" "$(echo_h Proxy)"
	check "Proxy-Authorization not forwarded" "<absent>" "$(echo_h Proxy-Authorization)"
	check "Connection-listed header dropped" "<absent>" "$(echo_h X-Drop-Me)"
	check_match "Connection header not forwarded" '^(<absent>|[Kk]eep-[Aa]live|close)$' "$(echo_h Connection)"
	check "Keep-Alive dropped" "<absent>" "$(echo_h Keep-Alive)"
	check "TE dropped" "<absent>" "$(echo_h TE)"
	check "Trailer dropped" "<absent>" "$(echo_h Trailer)"
	check "Upgrade dropped" "<absent>" "$(echo_h Upgrade)"
	check "end-to-end header kept" kept "$(echo_h X-Keep-Me)"
	check "Accept kept" application/json "$(echo_h Accept)"

	req A GET /pub /-/echo REMOTE_ADDR=198.51.100.9 -HTTPS
	check "X-Forwarded-For is REMOTE_ADDR alone" 198.51.100.9 "$(echo_h X-Forwarded-For)"
	check "X-Forwarded-Proto http" http "$(echo_h X-Forwarded-Proto)"
	check "X-Forwarded-Prefix is E=/pub" /pub "$(echo_h X-Forwarded-Prefix)"
}

# gzip: the adapter neither asks for it nor decodes it.
t_gzip() {
	req A GET /thanos /api/v1/labels HTTP_ACCEPT_ENCODING=gzip
	check_status "gzip labels" 200
	check "gzip labels Content-Encoding" gzip "$(rh Content-Encoding)"
	check_match "gzip labels Vary" 'Accept-Encoding' "$(rh Vary)"
	direct "$UP_MAIN/thanos/api/v1/labels" -H 'Accept-Encoding: gzip'
	check_file "gzip labels: the mock's gzip bytes" "$TMPD/direct.body" "$RESP_BODY"
	"$PY" "$PYHELP" gunzip "$RESP_BODY" >"$TMPD/gunzipped" 2>/dev/null
	direct "$UP_MAIN/thanos/api/v1/labels"
	check_file "gzip labels gunzip to the mock's JSON" "$TMPD/direct.body" "$TMPD/gunzipped"

	req A GET /thanos /static/css/main.abc123.css "HTTP_ACCEPT_ENCODING=gzip, deflate, br"
	check "gzip css Content-Encoding" gzip "$(rh Content-Encoding)"
	"$PY" "$PYHELP" gunzip "$RESP_BODY" >"$TMPD/gunzipped" 2>/dev/null
	direct "$UP_MAIN/thanos/static/css/main.abc123.css"
	check_file "gzip css gunzips to the mock's file" "$TMPD/direct.body" "$TMPD/gunzipped"

	req A GET /thanos /api/v1/labels
	direct "$UP_MAIN/thanos/api/v1/labels"
	check "no Accept-Encoding: no Content-Encoding" "" "$(rh Content-Encoding)"
	check_file "no Accept-Encoding: plain JSON" "$TMPD/direct.body" "$RESP_BODY"
}

# Headers that would make the web server act are stripped.
t_strip() {
	req A GET /thanos "/-/respond?$(respond_q 200 'X-Accel-Redirect: /internal/secret' \
		'X-Sendfile: /etc/passwd' 'X-LIGHTTPD-send-file: /etc/passwd' \
		'X-Accel-Limit-Rate: 1' 'Status: 302 Found' 'Connection: X-Up-Drop' \
		'X-Up-Drop: 1' 'Keep-Alive: timeout=5' 'X-Kept: yes')"
	check "upstream Status: ignored, real status first" "Status: 200 OK" "$RESP_FIRST"
	check "one Status line" 1 "$(rh_count Status)"
	check "X-Accel-Redirect stripped" "" "$(rh X-Accel-Redirect)"
	check "X-Accel-Limit-Rate stripped" "" "$(rh X-Accel-Limit-Rate)"
	check "X-Sendfile stripped" "" "$(rh X-Sendfile)"
	check "X-LIGHTTPD-send-file stripped" "" "$(rh X-LIGHTTPD-send-file)"
	check "upstream Connection-listed header stripped" "" "$(rh X-Up-Drop)"
	check "upstream Keep-Alive stripped" "" "$(rh Keep-Alive)"
	check "other upstream header kept" yes "$(rh X-Kept)"
	check "body passes" respond "$(rbody)"

	req A GET /thanos "/-/respond?$(respond_q 418 'X-Kept: tea')"
	check_status "unusual status passes" 418
}

# Location, Content-Location, Refresh, Link and Set-Cookie Path: R -> E.
t_rewrite() {
	req A GET /pub "/-/respond?$(respond_q 302 'Location: /thanos/x?y=1' \
		'Content-Location: /thanos/cl' 'Refresh: 0; url=/thanos/r' \
		'Link: </thanos/static/a.css>; rel=preload; as=style' \
		'Set-Cookie: sid=1; Path=/thanos/api; HttpOnly' 'Set-Cookie: other=2; Path=/thanos')"
	check_status "E=/pub redirect" 302
	check "E=/pub Location" "/pub/x?y=1" "$(rh Location)"
	check "E=/pub Content-Location" /pub/cl "$(rh Content-Location)"
	check_match "E=/pub Refresh" '^0; *url=/pub/r$' "$(rh Refresh)"
	check "E=/pub Link" "</pub/static/a.css>; rel=preload; as=style" "$(rh Link)"
	check "E=/pub two Set-Cookie" 2 "$(rh_count Set-Cookie)"
	local cookies
	cookies=$(rh_all Set-Cookie | tr '\n' '|')
	check "E=/pub Set-Cookie Paths" "sid=1; Path=/pub/api; HttpOnly|other=2; Path=/pub|" "$cookies"

	req A GET /pub "/-/respond?$(respond_q 302 "Location: $UP_MAIN/thanos/abs?q=1")"
	check "absolute upstream URL becomes a path" "/pub/abs?q=1" "$(rh Location)"
	req A GET /pub "/-/respond?$(respond_q 302 'Location: http://other.example/thanos/x')"
	check "other origin left alone" http://other.example/thanos/x "$(rh Location)"
	req A GET /pub "/-/respond?$(respond_q 302 'Location: graph?x=1')"
	check "relative Location left alone" "graph?x=1" "$(rh Location)"
	req A GET /pub "/-/respond?$(respond_q 302 'Location: /pub/already')"
	check "Location already under E left alone" /pub/already "$(rh Location)"
	req A GET /pub "/-/respond?$(respond_q 302 'Location: /thanosx/y')"
	check "R only at a segment boundary" /thanosx/y "$(rh Location)"

	req A GET /thanos "/-/respond?$(respond_q 302 'Location: /thanos/x' 'Set-Cookie: s=1; Path=/thanos')"
	check "E=R Location unchanged" /thanos/x "$(rh Location)"
	check "E=R Set-Cookie unchanged" "s=1; Path=/thanos" "$(rh Set-Cookie)"

	req B GET /thanos "/-/respond?$(respond_q 302 'Location: /graph' 'Set-Cookie: s=1; Path=/')"
	check "R=/ Location gets E" /thanos/graph "$(rh Location)"
	check "R=/ Set-Cookie Path gets E" "s=1; Path=/thanos" "$(rh Set-Cookie)"
}

# /metrics, /-/healthy and /-/ready go to the upstream's root.
t_root_paths() {
	req A GET /thanos /metrics
	check_status "metrics" 200
	check_match "metrics from the mock's root" '^mock_up 1$' "$(rbody)"
	req A GET /pub /-/ready
	check_status "ready at the root" 200
	check "ready body" OK "$(rbody)"
	req A GET /thanos /-/healthy
	check_status "healthy at the root" 200
	req A GET /thanos /-/echo
	check "other /-/ paths stay under R" /thanos/-/echo "$(jget 'd["path"]')"
}

# Dot segments (also encoded) and control characters are refused.
t_bad_paths() {
	local before after p
	before=$(mock_requests main)
	for p in '/%2e%2e/metrics' '/..%2f..%2fmetrics' '/a/%2E%2E/graph' '/./graph' \
		'/graph/.' '/api/v1/label/..%2F..%2F/values' '/a%0Ab' '/a%00b' '/a%7fb'; do
		req A GET /thanos "$p"
		check_status "bad path $p" 400
	done
	after=$(mock_requests main)
	check "bad paths never reached the upstream" "$before" "$after"
}

# Upstream failures: 502 / 504 with one generic line; the log names the
# upstream and the cause.
t_errors() {
	req DEAD GET /thanos /graph
	check_status "dead upstream" 502
	check_match "dead upstream Content-Type" '^text/plain' "$(rh Content-Type)"
	check "dead upstream body is generic" "thanos-fcgi: upstream failed" "$(rbody)"
	check_match "dead upstream: the log names it" "127\\.0\\.0\\.1:$DEAD_PORT" "$(last_fail DEAD)"
	check "dead upstream body is one line" 1 "$(wc -l <"$RESP_BODY" | tr -d ' ')"

	local t0 t1
	t0=$(now_ms)
	req HANG GET /thanos /graph
	t1=$(now_ms)
	check_status "hanging upstream" 504
	check "hanging upstream body is generic" "thanos-fcgi: upstream timed out" "$(rbody)"
	check_match "hanging upstream: the log names it" "127\\.0\\.0\\.1:$MOCK_hang.*timeout" "$(last_fail HANG)"
	check_between "504 after about 1s (ms)" 900 $((8000 * SLOWDOWN)) "$((t1 - t0))"

	req GARB GET /thanos /graph
	check_status "garbage upstream" 502
	req RST GET /thanos /graph
	check_status "upstream resets" 502
	req BIGH GET /thanos /graph
	check_status "upstream with 4 MiB of headers" 502
}

# Big and streamed answers arrive whole; a reset mid-body is not completed.
t_streaming() {
	local n=3000000
	req A GET /thanos "/-/bytes?n=$n"
	check_status "3 MB answer" 200
	check "3 MB answer size" "$n" "$(rbody_size)"
	check "3 MB answer sha256" "$(rh X-Body-Sha256)" "$(rbody_sha)"
	req A GET /thanos "/-/bytes?n=$n&chunked=1"
	check "3 MB chunked answer size" "$n" "$(rbody_size)"
	check "3 MB chunked answer sha256" "$(rh X-Body-Sha256)" "$(rbody_sha)"
	check "no Transfer-Encoding towards the server" "" "$(rh Transfer-Encoding)"
	local delay=700 first end
	REQ_TIMED=1 req A GET /thanos "/-/bytes?n=5000&chunked=1&sse=1&chunk=1000&delay_ms=$delay"
	check "event stream Content-Type" text/event-stream "$(rh Content-Type)"
	check "event stream X-Accel-Buffering" no "$(rh X-Accel-Buffering)"
	check "event stream sha256" "$(rh X-Body-Sha256)" "$(rbody_sha)"
	# The mock waits $delay ms before each of its 5 chunks after the first:
	# streamed, the first bytes arrive at least one wait before the end
	# (however slow the machine); held back, with the end.
	read -r first end <"$RESP_TIMING"
	check_between "event stream: first bytes $((end - first)) ms before the end ($first of $end ms)" \
		"$delay" "$end" "$((end - first))"
	check_match "event stream: the mock took its time ($end ms)" '^[0-9]{4,}$' "$end"
	REQ_TIMED=1 req A GET /thanos "/-/bytes?n=4000&chunk=1000&delay_ms=700"
	read -r first end <"$RESP_TIMING"
	max=1000
	[ "$SLOWDOWN" -gt 1 ] && max=$((end - 1400))
	check_between "slow Content-Length answer streamed: first byte before the end of $end ms (ms)" 0 "$max" "$first"

	req A GET /thanos "/-/reset?after=100000"
	check_match "reset mid-body: status" '^Status: (200|502)' "$RESP_FIRST"
	check_match "reset mid-body: not completed" '^[0-9]{1,7}$' "$(rbody_size)"
	req A GET /thanos /-/healthy
	check_status "next request after a reset" 200
}

# The UI prefix through the prefix header (mock --prefix-header, R = /).
t_prefix_header() {
	req B GET /thanos /graph
	check_status "R=/ graph" 200
	check_match "GLOBAL_PATH_PREFIX from the prefix header" 'GLOBAL_PATH_PREFIX="\\/thanos"' "$(rbody)"
	req B GET /thanos /graph HTTP_X_FORWARDED_PREFIX=/evil
	check_match "client prefix header does not reach the UI" 'GLOBAL_PATH_PREFIX="\\/thanos"' "$(rbody)"
	req B GET /thanos /-/echo
	check "R=/ path has no prefix" /-/echo "$(jget 'd["path"]')"
	req B GET /thanos /metrics
	check_match "R=/ metrics" '^mock_up 1$' "$(rbody)"
}

# Keep-alive: one worker reuses its upstream connection (FastCGI modes).
t_keepalive() {
	mock ka --route-prefix /thanos
	adapter KA --upstream "http://127.0.0.1:$MOCK_ka" --web.route-prefix /thanos --threads 1
	local i conns="" c
	for i in 1 2 3 4 5 6; do
		req KA GET /thanos /-/echo
		conns="$conns $(jget 'd["connection"]')"
	done
	check "keep-alive: 6 requests reached the mock" 6 "$(mock_requests ka)"
	c=$(mock_connections ka)
	check_match "keep-alive: fewer connections ($c) than requests (6)" '^[1-5]$' "$c"
	check "keep-alive: all on one connection" 1 "$(printf '%s\n' $conns | sort -u | wc -l | tr -d ' ')"
}

# A client that goes away aborts the upstream transfer, and the only worker
# goes on to the next request.  Under CGI the web server closes the pipe;
# under FastCGI it closes the connection (the FastCGI client is killed:
# closing its pipe would prove nothing).
t_client_gone() {
	mock gone --route-prefix /thanos
	adapter GONE --upstream "http://127.0.0.1:$MOCK_gone" --web.route-prefix /thanos --threads 1
	local t0 t1 n=300000 chunk=1000 delay=100
	local slow="/-/bytes?n=$n&chunk=$chunk&delay_ms=$delay" whole=$((n / chunk * delay))
	# The client leaves once it has 3000 bytes of the answer (an event: a
	# client killed after a fixed second may not have sent its request yet
	# on a loaded machine, and then nothing reaches the upstream at all).
	t0=$(now_ms)
	REQ_CUT=3000 REQ_TIMEOUT=40 req GONE GET /thanos "$slow"
	check "client gone: it had 3000 bytes of the answer" 3000 "$(wc -c <"$RESP_RAW" | tr -d ' ')"
	t1=$(now_ms)
	check_between "client gone: the request ended long before the $whole ms the answer takes (ms)" \
		0 $((whole / 2)) "$((t1 - t0))"
	t0=$(now_ms)
	REQ_TIMEOUT=15 req GONE GET /thanos /-/healthy
	t1=$(now_ms)
	check_status "client gone: next request" 200
	check_match "client gone: next request is prompt ($((t1 - t0)) ms)" '^[0-9]{1,4}$' "$((t1 - t0))"
	check "client gone: the upstream transfer was aborted" 1 "$(log_count "$TMPD/mock_gone.log" 'client went away')"
}

run_suite() {
	suite_setup
	t_redirects
	t_passthrough
	t_api
	t_request
	t_limits
	t_forwarded
	t_gzip
	t_strip
	t_rewrite
	t_root_paths
	t_bad_paths
	t_errors
	t_streaming
	t_prefix_header
}
