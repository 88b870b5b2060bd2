#!/bin/bash
# tests/e2e/attack.sh: the holes of issue 10, through every front, each with
# the files of deploy/ as they are (only @PLACEHOLDERS@ filled in):
#   nginx (deploy/nginx) -> thanos-fcgi --listen unix:SOCKET,
#   lighttpd bin-path (deploy/lighttpd/50-thanos-fcgi.conf),
#   Apache mod_fcgid (deploy/apache-fcgid/thanos-fcgi.conf),
#   Apache mod_cgid (deploy/apache-cgi/thanos-cgi.conf),
# all at /thanos against tests/mock/thanos_mock.py --mode fault (route prefix /thanos),
# which logs the method and target of every request it gets.
#
# Each front gets the same cases (front_cases):
#   - a body on GET, OPTIONS, DELETE reaches the upstream with that method,
#     never as PUT; a body on HEAD is answered 400;
#   - an upstream 200 (or 404) with a Location: the client gets the
#     upstream's own body, never the front's file /canary.txt;
#   - an unrequested 101, a status line inside the block, Content-Length
#     99999999999999999999999, "N, N", "+N" and two of them: 502;
#   - the names listed by a second Connection header, on the answer and on
#     the request, do not pass;
#   - request header values with \x01, \x0b, \x0c, \x7f: 400, nothing sent;
#   - a 502 tells the client "upstream failed", not the upstream's address.

. "$(cd "$(dirname "$0")" && pwd)/apache_common.sh"
need nginx lighttpd
need_apache_module mpm_event authz_core mime alias env dir setenvif fcgid cgid

start_fault_upstream /thanos
CANARY="canary file of the front server, never to be served as the upstream's answer"

# up_count ERE: requests the fault upstream has logged whose "METHOD TARGET"
# matches ERE.
up_count() { grep -cE " req \"$1" "$TMPD/up.log"; }

# json_field FILE KEY: a top-level field of a JSON answer ("" if none).
json_field() {
	python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))
except Exception: print("")' "$1" "$2"
}

# echo_has_header FILE NAME: "yes" when the upstream's echo lists NAME.
echo_has_header() {
	python3 -c 'import json,sys
try: h = [n.lower() for n, v in json.load(open(sys.argv[1]))["headers"]]
except Exception: h = ["<no echo>"]
print("yes" if sys.argv[2].lower() in h else "no")' "$1" "$2"
}

# head_with_body URL: a HEAD with a 3-byte body (curl cannot send one);
# prints the status.
head_with_body() {
	python3 - "$1" "$(guard)" <<'EOF'
import http.client, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=float(sys.argv[2]))
c.request("HEAD", u.path, body=b"abc", headers={"Content-Type": "text/plain"})
print(c.getresponse().status)
EOF
}

# body_reaches LABEL BASE METHOD WANT [CURL ARGS]: a request with a body;
# WANT is "200 METHOD LENGTH" as the upstream's echo saw it.  A front that
# refuses a body on GET itself (GET_BODY=front-400: lighttpd) must answer
# its own 400 and send nothing upstream.
body_reaches() {
	local L=$1 B=$2 m=$3 want=$4 st before
	shift 4
	before=$(up_count "$m /thanos/echo")
	st=$(fetch body "$B/echo" -X "$m" "$@")
	if [ "$m" = GET ] && [ "${GET_BODY:-}" = front-400 ]; then
		check "$L: $m with a body ($*): the front's own 400, nothing upstream" "400 front $before" \
			"$st $(grep -q '^thanos-fcgi:' "$TMPD/body.b" && echo adapter || echo front) $(up_count "$m /thanos/echo")"
	else
		check "$L: $m with a body ($*) reaches the upstream as $m, body whole" "$want" \
			"$st $(json_field "$TMPD/body.b" method) $(json_field "$TMPD/body.b" body_len)"
	fi
}

# method_cases LABEL BASE: bodies on methods that usually carry none.
method_cases() {
	local L=$1 B=$2 m puts
	puts=$(up_count 'PUT ')
	for m in GET OPTIONS DELETE; do
		body_reaches "$L" "$B" "$m" "200 $m 3" -H 'Content-Type: text/plain' --data-binary 'abc'
	done
	body_reaches "$L" "$B" GET "200 GET 4" -H 'Transfer-Encoding: chunked' --data-binary 'abcd'

	check "$L: HEAD with a body is refused" 400 "$(head_with_body "$B/echo")"
	check "$L: no PUT ever reached the upstream" "$puts" "$(up_count 'PUT ')"
}

# answer_cases LABEL BASE: upstream answers the front must not act on.
answer_cases() {
	local L=$1 B=$2 c st
	for c in loc200 loc404; do
		st=$(fetch loc "$B/hdr?case=$c")
		check "$L: $c: the client gets the upstream's status and body, not the front's file" \
			"${c#loc} upstream-body $c" "$st $(cat "$TMPD/loc.b")"
		check "$L: $c: no Location reaches the client" "" "$(hdr Location "$TMPD/loc.h")"
	done
	for c in switch101 status-inside cl-huge cl-list cl-plus cl-same; do
		st=$(fetch bad "$B/hdr?case=$c")
		check_match "$L: $c: 502 from the adapter" "^502 thanos-fcgi: bad upstream header" \
			"$st $(short "$TMPD/bad.b")"
	done
	st=$(fetch conn2 "$B/hdr?case=conn2")
	check "$L: conn2: what a second Connection header names stays hop-by-hop" "200 ''" \
		"$st '$(hdr X-Secret "$TMPD/conn2.h")'"
}

# request_cases LABEL BASE: request headers the upstream must not get.
request_cases() {
	local L=$1 B=$2 st c before
	# mod_fcgid passes no HTTP_CONNECTION at all (REQ_CONN=passed): the
	# adapter cannot know what a Connection header named there.
	st=$(fetch reqconn "$B/echo" -H 'Connection: keep-alive' -H 'Connection: X-Secret' -H 'X-Secret: 1')
	check "$L: a request's second Connection header: what it names stays hop-by-hop" \
		"200 $([ "${REQ_CONN:-}" = passed ] && echo yes || echo no)" \
		"$st $(echo_has_header "$TMPD/reqconn.b" X-Secret)"
	for c in 01 0b 0c 7f; do
		before=$(up_count 'GET /thanos/echo')
		st=$(fetch ctl "$B/echo" -H "X-Ctl: a$(printf "\\x$c")b")
		check "$L: a request header value with \\x$c: 400, nothing reaches the upstream" \
			"400 $before" "$st $(up_count 'GET /thanos/echo')"
	done
}

# front_cases LABEL BASE: every case, through one front at BASE (.../thanos).
front_cases() {
	check "$1: set-up: a normal request" "200 ok" "$(fetch ok "$2/ok") $(cat "$TMPD/ok.b")"
	method_cases "$@"
	answer_cases "$@"
	request_cases "$@"
}

# dead_cases LABEL URL LOG: a 502 for a dead upstream names it only in LOG.
dead_cases() {
	local st
	st=$(fetch dead "$2")
	check "$1: dead upstream: 502 with a generic line" "502 thanos-fcgi: upstream failed" \
		"$st $(cat "$TMPD/dead.b")"
	check_match "$1: dead upstream: the log names the upstream and libcurl's cause" \
		"upstream 127\\.0\\.0\\.1:$DEAD_PORT failed: |upstream http://127\\.0\\.0\\.1:$DEAD_PORT failed: " \
		"$(log_count "$3" "$DEAD_PORT" 1 >/dev/null; grep "$DEAD_PORT" "$3" | tail -n 1)"
}

# ---- nginx -> --listen unix: --------------------------------------------------
echo "# nginx (deploy/nginx) -> thanos-fcgi --listen"
start_socket_adapter --threads 8 --upstream "$UP" --web.route-prefix /thanos
nginx_front_up ngx "unix:$SOCK" || finish
front_cases nginx "http://127.0.0.1:$PORT_ngx/thanos"
kill "$APID"
wait "$APID" 2>/dev/null
start_socket_adapter --threads 8 --upstream "$DEAD_UPSTREAM" --web.route-prefix /thanos
dead_cases nginx "http://127.0.0.1:$PORT_ngx/thanos/ok" "$TMPD/adapter.log"

# ---- lighttpd bin-path ----------------------------------------------------------
echo "# lighttpd bin-path (deploy/lighttpd/50-thanos-fcgi.conf)"
LT_PORT=$(free_port)
lighttpd_up "$TMPD/lt" "$LT_PORT" 50-thanos-fcgi.conf UPSTREAM="$UP" ROUTE_PREFIX=/thanos ROOT_PATHS= || finish
printf '%s\n' "$CANARY" >"$TMPD/lt/htdocs/canary.txt"
check "lighttpd: set-up: lighttpd would serve the canary" "200 $CANARY" \
	"$(fetch canary "http://127.0.0.1:$LT_PORT/canary.txt") $(cat "$TMPD/canary.b")"
GET_BODY=front-400 front_cases lighttpd "http://127.0.0.1:$LT_PORT/thanos"
lighttpd_down "$LT_PORT"

# ---- Apache: mod_fcgid and mod_cgid ----------------------------------------------
for kind in fcgid cgi; do
	if [ $kind = fcgid ]; then mount="$top_srcdir/deploy/apache-fcgid/thanos-fcgi.conf"; else
		mount="$top_srcdir/deploy/apache-cgi/thanos-cgi.conf"; fi
	echo "# Apache mod_$kind ($(basename "$mount"))"
	apache_state "a$kind"
	printf '%s\n' "$CANARY" >"$STATE/htdocs/canary.txt"
	chmod a+r "$STATE/htdocs/canary.txt"
	apache_mount_up "$mount" UPSTREAM="$UP" ROUTE_PREFIX=/thanos ROOT_PATHS= || finish
	check "apache $kind: set-up: Apache would serve the canary" "200 $CANARY" \
		"$(fetch canary "$F/canary.txt") $(cat "$TMPD/canary.b")"
	REQ_CONN=$([ $kind = fcgid ] && echo passed) front_cases "apache $kind" "$F/thanos"
	check_apache_log "apache $kind"
	apache_down
	apache_mount_up "$mount" UPSTREAM="$DEAD_UPSTREAM" ROUTE_PREFIX=/thanos ROOT_PATHS= || finish
	dead_cases "apache $kind" "$F/thanos/ok" "$STATE/logs/error.log"
	apache_down
done

finish
