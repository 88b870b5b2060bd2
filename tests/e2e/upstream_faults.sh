#!/bin/bash
# tests/e2e/upstream_faults.sh: hostile or broken upstreams, through a real
# front server (issue 5).
#
# nginx with the files of deploy/nginx/ (only the @PLACEHOLDERS@ filled in),
# mount /thanos, passes requests to thanos-fcgi --listen unix:SOCKET, whose
# upstream is tests/mock/thanos_mock.py --mode fault under the route prefix /up (so the
# Location rewrite /up -> /thanos is in play too).  A second nginx uses
# thanos-fcgi-location-params.conf to send the same adapter to a closed port.
#
# --threads 18: deploy/nginx keeps up to 2 x 8 idle FastCGI connections and
# each holds a thread (deploy/two-replicas-mtls/thanos-fcgi.conf), plus two.
# --upstream.timeout.first-byte 2s for the hanging upstream.
#
# After each fault: the same adapter process answers the next request, and the
# upstream has no answer in progress left (the adapter let go of the faulty
# transfer).  X-Accel-Redirect: nginx's html/etc/passwd is a canary file,
# which nginx would serve if the header got through.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/nginx_start.sh"

# One request never waits longer than the bound of the slowest, the 2 s
# first-byte timeout (lib.sh's guard 2000): an adapter that stops answering
# fails the checks without stretching the run (common.sh's ucurl).
# shellcheck disable=SC2034 # read by ucurl, in common.sh
UCURL_MAX_TIME=$(guard 2000)

CANARY="CANARY-root:x:0:0:served-from-disk"

# canary_front_up NAME FCGI_ADDR LOCATION_TEMPLATE [KEY=VALUE...]: nginx as
# common.sh's nginx_front_up, with the canary as html/etc/passwd under its
# prefix.  Sets PORT_NAME.
canary_front_up() {
	mkdir -p "$TMPD/$1/html/etc"
	printf '%s\n' "$CANARY" >"$TMPD/$1/html/etc/passwd"
	nginx_front_up "$1" "$2" "$3" "" "${@:4}"
}

start_fault_upstream /up
start_socket_adapter --threads 18 --upstream "$UP" --web.route-prefix /up --upstream.timeout.first-byte 2s

canary_front_up ngx "unix:$SOCK" thanos-fcgi-location.conf || finish
canary_front_up dead "unix:$SOCK" thanos-fcgi-location-params.conf \
	UPSTREAM="$DEAD_UPSTREAM" ROUTE_PREFIX=/up ROOT_PATHS= || finish
F="http://127.0.0.1:$PORT_ngx"

# after LABEL: the same adapter process serves the next request at once
# (common.sh's adapter_still_serving), and the fault left no transfer open
# at the upstream.
after() {
	adapter_still_serving "$1" "$F/thanos/ok"
	check "$1: then no answer is left in progress at the upstream" "" "$(upstream_busy)"
}

# dl NAME URL [CURL ARGS]: one request through nginx; prints "CURL_EXIT
# STATUS BYTES"; headers in $TMPD/NAME.h, body in $TMPD/NAME.b.
dl() {
	local name=$1 url=$2 rc w
	shift 2
	rm -f "$TMPD/$name.b" "$TMPD/$name.h"
	w=$(ucurl -o "$TMPD/$name.b" -D "$TMPD/$name.h" -w '%{http_code} %{size_download}' "$@" "$url")
	rc=$?
	echo "$rc $w"
}

check "set-up: a normal request through nginx" "0 200 3" "$(dl ok0 "$F/thanos/ok")"
check "set-up: nginx would serve the canary at /etc/passwd (what X-Accel-Redirect: /etc/passwd would give)" \
	"200 $CANARY" "$(fetch canary "$F/etc/passwd") $(cat "$TMPD/canary.b")"

# ---- refuses ----------------------------------------------------------------------
echo "# upstream refuses the connection"
st=$(fetch dead "http://127.0.0.1:$PORT_dead/thanos/api/v1/query?query=up")
check "refused: 502" 502 "$st"
check "refused: one generic text/plain line from the adapter" \
	"thanos-fcgi: upstream failed " "$(short "$TMPD/dead.b")"
check "refused: one line" 1 "$(wc -l <"$TMPD/dead.b" | tr -d ' ')"
after "refused"

# ---- accepts, never answers -------------------------------------------------------
echo "# upstream accepts and never answers (--upstream.timeout.first-byte 2s)"
t0=$(now_ms)
st=$(fetch hang "$F/thanos/hang")
t=$(since_ms "$t0")
check "never answers: 504" 504 "$st"
check "never answers: the adapter's generic answer" "thanos-fcgi: upstream timed out " "$(short "$TMPD/hang.b")"
check_match "never answers: the log names the upstream and the timeout" \
	"upstream $UP failed: first-byte timeout" "$(grep ' failed: ' "$TMPD/adapter.log" | tail -n 1)"
check_duration "never answers: 504 after the first-byte timeout (ms)" 2000 "$t"
after "never answers"

# ---- resets mid-body ----------------------------------------------------------------
echo "# upstream resets or closes in the middle of the body"
for v in "after=0&how=rst" "after=1000&how=rst" "after=1048576&how=rst" "after=1048576&how=fin" \
	"after=1000&how=rst&te=chunked" "after=1048576&how=rst&te=chunked" "after=1048576&how=fin&te=chunked"; do
	r=$(dl reset "$F/thanos/reset?$v")
	set -- $r
	check_match "reset mid-body ($v): the client sees an aborted answer (curl exit 18, 52 or 56; not 0, a truncated body that looks whole, nor 28, a client left waiting: '$r')" '^(18|52|56) ' "$r"
	check_match "reset mid-body ($v): less than announced arrived ($3 bytes)" '^[0-9]{1,7}$' "${3:-x}"
	after "reset mid-body ($v)"
done

# ---- garbage ------------------------------------------------------------------------
echo "# upstream answers garbage"
st=$(fetch garbage "$F/thanos/garbage")
check "garbage: 502" 502 "$st"
check "garbage: the adapter's one line" "thanos-fcgi: upstream failed " "$(short "$TMPD/garbage.b")"
after "garbage"

# ---- megabytes of headers ------------------------------------------------------------
echo "# upstream sends megabytes of headers"
for v in "bighead?mb=16" "longline?mb=16"; do
	st=$(fetch bighead "$F/thanos/$v")
	check "$v: 502" 502 "$st"
	check_match "$v: the adapter's one generic line" '^thanos-fcgi: (bad upstream header|upstream failed) $' "$(short "$TMPD/bighead.b")"
	after "$v"
	check_match "$v: the adapter stopped reading: the upstream could not send it all" \
		"write-failed after [0-9]+ bytes" "$(grep -E "${v%%\?*}: (write-failed|sent all)" "$TMPD/up.log" | tail -n 1)"
done
check_peak_rss "megabytes of headers" 64

# ---- headers that make a web server act -----------------------------------------------
echo "# X-Accel-Redirect, X-Sendfile, Status from the upstream"
st=$(fetch accel "$F/thanos/hdr?case=accel")
check "X-Accel-Redirect: /etc/passwd: the upstream's status and body, nothing from disk" \
	"200 upstream-body accel" "$st $(cat "$TMPD/accel.b")"
check "X-Accel-*: none reaches the client" "" "$(grep -i '^x-accel' "$TMPD/accel.h")"
after "X-Accel-Redirect"
st=$(fetch sendfile "$F/thanos/hdr?case=sendfile")
check "X-Sendfile, X-Sendfile2, X-LIGHTTPD-send-file: /etc/passwd: the upstream's status and body" \
	"200 upstream-body sendfile" "$st $(cat "$TMPD/sendfile.b")"
check "X-Sendfile*: none reaches the client" "" "$(grep -i '^x-\(sendfile\|lighttpd\)' "$TMPD/sendfile.h")"
check "no /etc/passwd content in either answer" "" "$(cat "$TMPD/accel.b" "$TMPD/sendfile.b" | grep -E 'root:|CANARY')"
after "X-Sendfile"
st=$(fetch status "$F/thanos/hdr?case=status")
check "Status: 200 OK on a 418: the real status stays" "418 upstream-body status" "$st $(cat "$TMPD/status.b")"
check "Status: not passed on" "" "$(hdr Status "$TMPD/status.h")"
st=$(fetch status "$F/thanos/hdr?case=status302")
check "Status: 302 Found on a 200: the real status stays, no Location" "200  upstream-body status302" \
	"$st $(hdr Location "$TMPD/status.h") $(cat "$TMPD/status.b")"
after "Status:"

# ---- CR, LF, NUL in header values; broken header lines ----------------------------------
echo "# CR, LF and NUL in Location and other headers"
for c in loc-cr loc-crcr loc-nul loc-fold cookie-cr no-colon space-name bad-status status-cr; do
	st=$(fetch crlf "$F/thanos/hdr?case=$c")
	check "$c: 502" 502 "$st"
	check "$c: no injected header reaches the client" "" "$(hdr X-Injected "$TMPD/crlf.h")"
	check "$c: no Location reaches the client" "" "$(hdr Location "$TMPD/crlf.h")"
	after "$c"
done
st=$(fetch crlf "$F/thanos/hdr?case=loc-pct")
check "Location with an encoded CR LF: passes as text, rewritten under the mount" \
	"302 /thanos/a%0d%0aX-Injected:%20pct" "$st $(hdr Location "$TMPD/crlf.h")"
check "Location with an encoded CR LF: no injected header" "" "$(hdr X-Injected "$TMPD/crlf.h")"
after "loc-pct"

# ---- framing the adapter must not pass on as it is ----------------------------------------
echo "# Content-Length next to chunked, two Content-Lengths"
# RFC 9112 6.3: with Transfer-Encoding the Content-Length is ignored; two
# that disagree are an error.  Either the whole body or a 502: never a
# shorter body that looks complete.
for c in te-cl dup-cl; do
	r=$(dl frame "$F/thanos/hdr?case=$c")
	got="$r $(cat "$TMPD/frame.b" 2>/dev/null)"
	case "$got" in
	"0 200 "*" upstream-body $c" | "0 502 "*) pass "$c: the whole body or a 502 ($r)" ;;
	*) fail "$c: a body that is not the upstream's, presented as complete: curl exit, status, bytes, body = '$got' (want the 20-byte 'upstream-body $c' or a 502)" ;;
	esac
	after "$c"
	# What the upstream sent past the length the adapter went by must not
	# become the answer to a later request on the same upstream connection.
	n=0 bad=""
	for i in $(seq 1 30); do
		w=$(ucurl -o "$TMPD/next.b" -w '%{http_code}' "$F/thanos/ok?i=$i")
		if [ "$w $(cat "$TMPD/next.b" 2>/dev/null)" = "200 ok" ]; then n=$((n + 1)); else bad="$w $(short "$TMPD/next.b")"; fi
	done
	check "$c: the next 30 requests all get their own answer${bad:+ (one got: $bad)}" 30 "$n"
done

check "the adapter: the same process all along" alive "$(adapter_state)"
finish
