#!/bin/bash
# tests/integration/logs.sh: the adapter's log lines, as CGI and on --listen,
# against the mock Thanos: the logfmt shape Thanos writes (ts, level, caller,
# msg, key=value fields) of an error line; --log.format json; the debug line
# of a known request (E, T, the upstream URL, the status, the bytes the mock
# sent); the access line (--log.access) and none without it; a request path
# full of quotes, control characters and a forged "level=" that stays one
# escaped field of one line; the debug lines of a rewritten Location, a
# mount's route and a replica's down mark running out (--listen).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
need python3

LOGPARSE="$top_srcdir/tests/integration/logparse.py"
mock main --route-prefix /thanos
UP="http://127.0.0.1:$MOCK_main"
hold_dead_port DEAD
RP=(--web.route-prefix /thanos)

# logf NAME: the file adapter NAME logs to (CGI: what every request wrote).
logf() { if [ "$MODE" = cgi ]; then echo "$TMPD/cgi.log"; else echo "$TMPD/adapter_$1.log"; fi; }
# mark NAME: what new_lines NAME counts from.
mark() { MARK=$(cat "$(logf "$1")" 2>/dev/null | wc -l); }
# new_lines NAME ERE [WANT]: the lines after the mark that match ERE, once
# WANT (default 1) of them are there or after lib.sh's guard.
new_lines() {
	local f i n
	f=$(logf "$1")
	for ((i = 0; i < $(guard) * 20; i++)); do
		n=$(tail -n +"$((MARK + 1))" "$f" 2>/dev/null | grep -c -E -- "$2")
		[ "$n" -ge "${3:-1}" ] && break
		sleep 0.05
	done
	tail -n +"$((MARK + 1))" "$f" 2>/dev/null | grep -E -- "$2"
}
lf() { "$PY" "$LOGPARSE" get "$@"; }

t_error_line() {
	local line
	mark DEADUP
	req DEADUP GET /thanos /graph
	check_status "$MODE: dead upstream: 502" 502
	line=$(new_lines DEADUP 'msg="request failed"' | tail -n 1)
	check_match "$MODE: the error line in logfmt, msg and fields" \
		"^$(logfmt_head error)\"request failed\" method=GET path=/thanos/graph err=\"upstream http://127\\.0\\.0\\.1:$DEAD failed: [^\"]+\"\$" \
		"$line"
	check_match "$MODE: its caller is relay.c" ' caller=relay\.c:[0-9]+ ' "$line"
	check "$MODE: the answer's body keeps its own shape" "thanos-fcgi: upstream failed" "$(rbody)"
}

t_json() {
	local line
	mark JSON
	req JSON GET /thanos /graph
	check_status "$MODE: json: dead upstream: 502" 502
	line=$(new_lines JSON '"msg":"request failed"' | tail -n 1)
	check "$MODE: json: the error line's keys in order" "ts level caller msg method path err" \
		"$("$PY" -c 'import json,sys; print(" ".join(json.loads(sys.stdin.readline())))' <<<"$line")"
	check "$MODE: json: level" error "$("$PY" "$LOGPARSE" json-get level <<<"$line")"
	check_match "$MODE: json: err keeps the cause" "^upstream http://127\\.0\\.0\\.1:$DEAD failed: " \
		"$("$PY" "$LOGPARSE" json-get err <<<"$line")"
	check "$MODE: json: every line it wrote is a JSON object" 0 \
		"$(if [ "$MODE" = cgi ]; then tail -n +"$((MARK + 1))" "$(logf JSON)"; else cat "$(logf JSON)"; fi |
			"$PY" "$LOGPARSE" bad-json)"
}

# GET /-/bytes?n=1234: the mock's answer is 1234 bytes.
t_debug_line() {
	local line
	mark DEBUG
	req DEBUG GET /thanos "/-/bytes?n=1234"
	check_status "$MODE: debug: 200" 200
	line=$(new_lines DEBUG ' msg=request ' | tail -n 1)
	check_match "$MODE: debug: one line at level debug" "^$(logfmt_head debug)request method=GET " "$line"
	check "$MODE: debug: path" "/thanos/-/bytes?n=1234" "$(lf path <<<"$line")"
	check "$MODE: debug: e" /thanos "$(lf e <<<"$line")"
	check "$MODE: debug: t" /-/bytes "$(lf t <<<"$line")"
	check "$MODE: debug: upstream URL" "$UP/thanos/-/bytes?n=1234" "$(lf upstream <<<"$line")"
	check "$MODE: debug: code" 200 "$(lf code <<<"$line")"
	check "$MODE: debug: bytes, the mock's answer size" "1234 1234" \
		"$(lf bytes <<<"$line") $(wc -c <"$RESP_BODY" | tr -d ' ')"
	check "$MODE: debug: attempts" 1 "$(lf attempts <<<"$line")"
	check_match "$MODE: debug: duration in ms" '^[0-9]+ms$' "$(lf duration <<<"$line")"
	check "$MODE: debug: no access line without --log.access" "" "$(new_lines DEBUG ' msg=access ' 0)"
}

# A redirect from the upstream under R, served under E = /pub: the debug
# line of the rewritten Location.
t_rewrite_line() {
	local line
	mark DEBUG
	req DEBUG GET /pub "/-/respond?status=302&h=Location:/thanos/graph"
	check "$MODE: debug: Location rewritten" /pub/graph "$(rh Location)"
	line=$(new_lines DEBUG 'msg="header rewritten"' | tail -n 1)
	check "$MODE: debug: the rewrite logged" "Location /thanos/graph /pub/graph" \
		"$(lf header <<<"$line") $(lf from <<<"$line") $(lf to <<<"$line")"
}

t_access_line() {
	local line
	mark ACCESS
	req ACCESS GET /thanos "/-/bytes?n=300" REMOTE_USER=alice
	check_status "$MODE: access: 200" 200
	line=$(new_lines ACCESS ' msg=access ' | tail -n 1)
	check_match "$MODE: access: at level info, whatever --log.level" \
		"^$(logfmt_head info)access remote_addr=192\\.0\\.2\\.7 remote_user=alice method=GET " "$line"
	check "$MODE: access: path code bytes upstream" \
		"/thanos/-/bytes?n=300 200 300 $UP/thanos/-/bytes?n=300" \
		"$(lf path <<<"$line") $(lf code <<<"$line") $(lf bytes <<<"$line") $(lf upstream <<<"$line")"
	check_match "$MODE: access: duration" '^[0-9]+ms$' "$(lf duration <<<"$line")"
}

# Off by default: an answered request, then a failed one whose error line
# (written after the access line would be) says the request is over.
t_access_off() {
	mark OFF
	req OFF GET /thanos /graph
	check_status "$MODE: off: 200" 200
	req OFF GET /thanos "/%2e%2e/x"
	check_status "$MODE: off: a dot segment: 400" 400
	new_lines OFF 'msg="request failed"' >/dev/null
	check "$MODE: off: no access and no debug line" 0 \
		"$(tail -n +"$((MARK + 1))" "$(logf OFF)" | grep -c -E ' msg=(access|request) ')"
}

# Quotes, a newline, a carriage return, ESC, DEL and a forged second line
# in the request path: one line each, the path field unescaping to the
# bytes sent.  The error line is the request's last: the access line came
# before it, and no debug line at --log.level error.
t_hostile_path() {
	local sub=$'/x"y\n ts=2000-01-01T00:00:00.000Z level=error msg=forged\r\x1b[2J\x7f\\' lines n
	mark ACCESS
	req ACCESS GET /thanos "$sub"
	check_status "$MODE: hostile path: 400" 400
	lines=$(new_lines ACCESS 'msg="request failed"')
	n=$(tail -n +"$((MARK + 1))" "$(logf ACCESS)" | wc -l)
	check "$MODE: hostile path: two lines (access, error), no more" 2 "$n"
	check "$MODE: hostile path: the first is the access line" 1 \
		"$(tail -n +"$((MARK + 1))" "$(logf ACCESS)" | head -n 1 | grep -c ' msg=access ')"
	check "$MODE: hostile path: no line starts with the forged ts" 0 \
		"$(tail -n +"$((MARK + 1))" "$(logf ACCESS)" | grep -c '^ ts=2000\|^ts=2000')"
	check "$MODE: hostile path: the path field is the bytes sent" \
		"$(printf '%s' "/thanos$sub" | od -An -tx1 | tr -d ' \n')" "$(lf path hex <<<"$lines")"
	check_match "$MODE: hostile path: escaped, not raw" \
		'path="/thanos/x\\"y\\n ts=2000-01-01T00:00:00\.000Z level=error msg=forged\\r\\u001b\[2J\\u007f\\\\"' "$lines"
}

# Every line but the JSON adapter's (checked above) is well-formed logfmt.
t_well_formed() {
	local n
	n=$(cat "$(logf OFF)" "$(logf DEADUP)" "$(logf DEBUG)" "$(logf ACCESS)" | sort -u | wc -l)
	check "$MODE: every logfmt line well-formed (of $n)" 0 \
		"$(cat "$(logf OFF)" "$(logf DEADUP)" "$(logf DEBUG)" "$(logf ACCESS)" | sort -u |
			grep -v '^{"ts":' | "$PY" "$LOGPARSE" bad-logfmt)"
}

run_all() {
	adapter OFF --upstream "$UP" "${RP[@]}"
	adapter DEADUP --upstream "http://127.0.0.1:$DEAD" "${RP[@]}"
	adapter JSON --upstream "http://127.0.0.1:$DEAD" "${RP[@]}" --log.format json
	adapter DEBUG --upstream "$UP" "${RP[@]}" --log.level debug
	adapter ACCESS THANOS_FCGI_LOG_ACCESS=true --upstream "$UP" "${RP[@]}" --log.level error
	t_error_line
	t_json
	t_debug_line
	t_rewrite_line
	t_access_line
	t_access_off
	t_hostile_path
	t_well_formed
}

MODE=cgi
echo "# CGI"
run_all
MODE=listen
echo "# --listen"
run_all

# --listen only: a process that lives across requests.
check_match "listen: json: the start line is JSON too" '^\{"ts":"[^"]+","level":"info","caller":"main\.c:[0-9]+","msg":"listening on ' \
	"$(head -n 1 "$(logf JSON)")"

# A mount's route, built once for a set of THANOS_FCGI_* parameters.
mark DEBUG
req DEBUG GET /thanos /graph THANOS_FCGI_UPSTREAM_TIMEOUT_CONNECT=3s
req DEBUG GET /thanos /graph THANOS_FCGI_UPSTREAM_TIMEOUT_CONNECT=3s
new_lines DEBUG ' msg=request ' 2 >/dev/null
line=$(new_lines DEBUG 'msg="route built for a mount"')
check "listen: debug: the route built once for two requests" 1 "$(grep -c . <<<"$line")"
check "listen: debug: the route's parameters" "THANOS_FCGI_UPSTREAM_TIMEOUT_CONNECT=3s" \
	"$(lf params <<<"$line")"

# Two replicas, one dead, a 1 ms down mark: marked down (warn), then tried
# again once the mark has run out (debug).
adapter REPL --upstream "http://127.0.0.1:$DEAD" --upstream "$UP" "${RP[@]}" \
	--upstream.down-backoff 1ms --log.level debug
mark REPL
for i in 1 2 3 4; do req REPL GET /thanos "/graph?i=$i"; done
check "listen: replicas: the dead one marked down (warn)" 1 \
	"$(new_lines REPL "$(logfmt_head warn)\"upstream http://127\\.0\\.0\\.1:$DEAD marked down for 1 ms\"" | head -n 1 | grep -c .)"
check "listen: replicas: its down mark over (debug)" 1 \
	"$(new_lines REPL "$(logfmt_head debug)\"upstream http://127\\.0\\.0\\.1:$DEAD: down mark over, back in rotation\"" | head -n 1 | grep -c .)"
finish
