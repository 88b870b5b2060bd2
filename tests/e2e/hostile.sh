#!/bin/bash
# tests/e2e/hostile.sh: hostile requests through a real front server (issue 5).
#
# nginx with the files of deploy/nginx/ (only the @PLACEHOLDERS@ filled in)
# passes requests to thanos-fcgi --listen unix:SOCKET, mount /thanos, upstream
# tests/mock/thanos_mock.py --mode fault (route prefix /thanos), which logs the target of
# every request it gets.  A second mock, --mode trap, listens on another
# loopback port that every hostile request names as its "host": it must never
# see a connection.  The adapter runs with small limits (URI 2 KiB, headers
# 4 KiB, body 1 MiB), below nginx's own (8k header buffers, 1m bodies).
#
# Each hostile request is followed by a normal one: it must be answered at
# once by the same adapter process.  At the end, every path the upstream saw
# is under /thanos/, without a dot segment or a control character.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/nginx_start.sh"

# ---- set-up (common.sh; its ucurl never waits more than lib.sh's guard) -------

start_fault_upstream /thanos
TRAP_PORT=$(free_port)
spawn trap python3 "$top_srcdir/tests/mock/thanos_mock.py" --mode trap --listen "127.0.0.1:$TRAP_PORT"
wait_port "$TRAP_PORT" || fail "trap listener did not start"
TRAP="127.0.0.1:$TRAP_PORT"
# wait_port's probe is the trap's one connection so far (logged on its own time).
TRAP0=$(log_count "$TMPD/trap.log" '^trap: ' 1)
check "trap listener: only wait_port's probe before the adapter starts" 1 "$TRAP0"

# --threads 34: each of the two nginx below keeps up to 2 x 8 idle FastCGI
# connections and each holds a thread (deploy/two-replicas-mtls/thanos-fcgi.conf).
start_socket_adapter --threads 34 --upstream "$UP" --web.route-prefix /thanos \
	--limits.max-uri-size 2KiB --limits.max-header-size 4KiB --limits.max-body-size 1MiB

# A: deploy/nginx as shipped.  B: the same with client_max_body_size 64m, so
# that a body over the adapter's limit gets past nginx to the adapter.
nginx_front_up ngxA "unix:$SOCK" || finish
nginx_front_up ngxB "unix:$SOCK" thanos-fcgi-location.conf 'client_max_body_size 64m;' || finish
A="http://127.0.0.1:$PORT_ngxA"
B="http://127.0.0.1:$PORT_ngxB"

cat >"$TMPD/rawreq.py" <<'EOF'
# rawreq.py PORT OUT TIMEOUT REQUEST: sends REQUEST (Python string escapes:
# \r \n \x00 ...) to 127.0.0.1:PORT, writes the raw answer to OUT, prints its
# status code (000 without one, with " timeout" when the server held on).
import socket, sys
port, out, timeout, req = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
data = req.encode("latin-1").decode("unicode_escape").encode("latin-1")
got, why = b"", ""
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except socket.timeout:
    why = " timeout"
except OSError as e:
    why = " " + type(e).__name__
open(out, "wb").write(got)
st = got[9:12].decode("latin-1") if got.startswith(b"HTTP/1.") else "000"
print(st + why)
EOF

# raw NAME TARGET [HEADER_LINES]: one request sent as raw bytes to nginx A
# (Python escapes allowed in TARGET and HEADER_LINES); answer in $TMPD/NAME.raw;
# prints the status.
raw() {
	python3 "$TMPD/rawreq.py" "$PORT_ngxA" "$TMPD/$1.raw" "$(guard)" \
		"GET $2 HTTP/1.1\\r\\nHost: 127.0.0.1:$PORT_ngxA\\r\\n${3:-}Connection: close\\r\\n\\r\\n"
}

# raw_body NAME: the body of a raw answer.
raw_body() { python3 -c 'import sys; print(open(sys.argv[1], "rb").read().partition(b"\r\n\r\n")[2].decode("latin-1"), end="")' "$TMPD/$1.raw"; }

# raw_has_header NAME HEADER: yes when the raw answer's head has HEADER.
raw_has_header() {
	python3 - "$TMPD/$1.raw" "$2" <<'EOF'
import sys
head = open(sys.argv[1], "rb").read().partition(b"\r\n\r\n")[0].decode("latin-1")
names = [l.split(":", 1)[0].strip().lower() for l in head.split("\r\n")[1:]]
print("yes" if sys.argv[2].lower() in names else "no")
EOF
}

# up_requests: requests the upstream has logged so far.
up_requests() { grep -c ' req "' "$TMPD/up.log"; }

# who NAME: "adapter" when the answer is thanos-fcgi's own one-liner, "nginx"
# for nginx's HTML error page, "upstream" otherwise.
who() {
	local b
	b=$(raw_body "$1")
	case "$b" in
	thanos-fcgi:*) echo adapter ;;
	*"<center>nginx"*) echo nginx ;;
	*) echo upstream ;;
	esac
}

# still_serving LABEL: after a hostile request, the same adapter process is
# alive and a normal request through nginx A is answered 200 "ok" within 3 s.
still_serving() { adapter_still_serving "$1" "$A/thanos/ok"; }

# refused_each LABEL NAME [HEADER]: for each "TARGET WANT" line on stdin,
# raw NAME TARGET: its status and who answered are WANT, the upstream saw no
# request, (with HEADER) HEADER is not in the answer, and the adapter still
# serves.
refused_each() {
	local target want n0 st
	while read -r target want; do
		[ -n "$target" ] || continue
		n0=$(up_requests)
		st=$(raw "$2" "$target")
		check "$1 $target: status and who answered" "$want" "$st $(who "$2")"
		check "$1 $target: the upstream saw no request" "$n0" "$(up_requests)"
		[ -z "${3:-}" ] || check "$1 $target: no injected header in the answer" no "$(raw_has_header "$2" "$3")"
		still_serving "$1 $target"
	done
}

[ "$(fetch ok0 "$A/thanos/ok")" = 200 ] || fail "set-up: a normal request through nginx A"
[ "$(fetch ok0 "$B/thanos/ok")" = 200 ] || fail "set-up: a normal request through nginx B"

# ---- dot segments ------------------------------------------------------------------
#
# nginx decodes and normalises the path for its location match ($uri) but
# passes REQUEST_URI raw: when the normalised path leaves /thanos/ nginx
# answers itself (404: no location, or 400: above the root); when it stays
# inside, the adapter sees the raw dot segment and must answer 400.  Who
# answers is part of the assertion; that the upstream saw nothing is too.

echo "# dot segments"
refused_each "dot segment" dot <<'EOF'
/thanos/../etc/passwd 404 nginx
/thanos/a/../../etc/passwd 404 nginx
/thanos/%2e%2e/etc/passwd 404 nginx
/thanos/.%2e/x 404 nginx
/thanos/..%2f..%2fetc/passwd 400 nginx
/thanos/%2e%2e%2f%2e%2e%2fetc%2fpasswd 400 nginx
/thanos/a/../b 400 adapter
/thanos/a/%2e%2e/b 400 adapter
/thanos/a/%2E%2e%2fb 400 adapter
/thanos/a/%2E%2e%2f..%2fb 404 nginx
/thanos/api/v1/..%2f..%2f..%2fetc/passwd 404 nginx
/thanos/api/v1/a/..%2fb 400 adapter
/thanos/./x 400 adapter
/thanos/a/%2e/x 400 adapter
/thanos/a/.. 400 adapter
/thanos/a/%2e%2E 400 adapter
/thanos/..\\x 400 adapter
/thanos/..%5cx 400 adapter
/thanos/a/..%5c..%5cx 400 adapter
/thanos/a%zz/x 400 nginx
EOF

# Double encoding is not a dot segment: it reaches the upstream as sent
# (which decodes it once, to a literal "%2e%2e" segment).
n0=$(up_requests)
st=$(raw dd '/thanos/%252e%252e/x')
check "double-encoded dots: reach the upstream as sent, under /thanos" \
	'1 "GET /thanos/%252e%252e/x"' "$(($(up_requests) - n0)) $(grep ' req "' "$TMPD/up.log" | tail -n 1 | sed 's/.* req //')"
check "double-encoded dots: the upstream's 404 passes" "404 upstream" "$st $(who dd)"
still_serving "double-encoded dots"

# ---- NUL, CR, LF ---------------------------------------------------------------------

echo "# NUL, CR and LF in the path, the query and header values"
refused_each "control character in the path" ctl X-Injected <<'EOF'
/thanos/a%00b 400 nginx
/thanos/a%0d%0aX-Injected:%20yes 400 adapter
/thanos/a%0aX-Injected:%20yes 400 adapter
/thanos/a%0db 400 adapter
/thanos/a%09b 400 adapter
/thanos/a%7fb 400 adapter
/thanos/a\x01b 400 nginx
/thanos/a\rX-Injected:%20yes 400 nginx
/thanos/a\x00b 400 nginx
EOF

# Raw control bytes in the query never get past nginx.
for q in 'q=a\x00b' 'q=a\x01b' 'q=a\x7fb' 'q=a\rX-Injected: yes'; do
	n0=$(up_requests)
	st=$(raw ctlq "/thanos/echo?$q")
	check "raw control byte in the query ?$q: 400" "400" "$st"
	check "raw control byte in the query ?$q: the upstream saw no request" "$n0" "$(up_requests)"
	still_serving "raw control byte in the query ?$q"
done

# Encoded ones in the query are data (a PromQL expression may hold a
# newline: Grafana sends query=a%0Ab): they reach the upstream still encoded,
# byte for byte, and never as a header line.
for q in 'query=up%0d%0aX-Injected:%20yes' 'query=a%00b' 'query=sum(%0A%20rate(x%5B5m%5D))'; do
	st=$(fetch ctlq "$A/thanos/echo?$q")
	check "encoded control character in the query ?$q: reaches the upstream encoded" \
		"200 /thanos/echo?$q" "$st $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["target"])' "$TMPD/ctlq.b" 2>&1)"
	check "encoded control character in the query ?$q: no injected header upstream" "" \
		"$(python3 -c 'import json,sys; print(" ".join(n for n, v in json.load(open(sys.argv[1]))["headers"] if n.lower() == "x-injected"))' "$TMPD/ctlq.b" 2>&1)"
	check "encoded control character in the query ?$q: no injected header in the answer" "" "$(hdr X-Injected "$TMPD/ctlq.h")"
done

# Header values: raw CR, NUL and obs-fold are refused by nginx; an encoded
# CR LF is just text and stays text.
while IFS='|' read -r header want; do
	[ -n "$header" ] || continue
	n0=$(up_requests)
	st=$(raw hv /thanos/echo "$header\\r\\n")
	check "header value $header: status" "$want" "$st"
	if [ "$want" = 400 ]; then
		check "header value $header: the upstream saw no request" "$n0" "$(up_requests)"
	else
		check "header value $header: no X-Injected header upstream" "no" \
			"$(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print("yes" if any(n.lower()=="x-injected" for n,v in d["headers"]) else "no")' <<<"$(raw_body hv)" 2>&1)"
	fi
	check "header value $header: no injected header in the answer" no "$(raw_has_header hv X-Injected)"
	still_serving "header value $header"
done <<'EOF'
X-Foo: a\rX-Injected: cr|400
X-Foo: a\x00X-Injected: nul|400
X-Foo: a\r\n X-Injected: fold|400
X-Foo: a%0d%0aX-Injected:%20pct|200
X-Foo: a\x01b|400
X-Foo: a\x0bb|400
X-Foo: a\x7fb|400
EOF

# ---- over-long URI and headers -------------------------------------------------

echo "# over-long URI (adapter limit 2 KiB, nginx 8k) and headers (adapter 4 KiB, nginx 8k lines)"
long() { python3 -c "print('$1' * $2, end='')"; }
n0=$(up_requests)
st=$(fetch long "$A/thanos/$(long a 3000)")
check "URI of 3 KiB (path): the adapter's 414" "414 thanos-fcgi" "$st $(head -c 11 "$TMPD/long.b")"
st=$(fetch long "$A/thanos/echo?q=$(long b 3000)")
check "URI of 3 KiB (query): the adapter's 414" "414 thanos-fcgi" "$st $(head -c 11 "$TMPD/long.b")"
st=$(fetch long "$A/thanos/echo?q=$(long c 20000)")
check "URI of 20 KiB: nginx's 414" "414" "$st"
check "over-long URIs: the upstream saw no request" "$n0" "$(up_requests)"
still_serving "over-long URIs"

n0=$(up_requests)
st=$(fetch longh "$A/thanos/echo" -H "X-Big: $(long h 6000)")
check "one header of 6 KiB: the adapter's 431" "431 thanos-fcgi" "$st $(head -c 11 "$TMPD/longh.b")"
st=$(fetch longh "$A/thanos/echo" -H "X-A: $(long a 1500)" -H "X-B: $(long b 1500)" -H "X-C: $(long c 1500)")
check "three headers of 1.5 KiB: the adapter's 431" "431 thanos-fcgi" "$st $(head -c 11 "$TMPD/longh.b")"
st=$(fetch longh "$A/thanos/echo" -H "Cookie: $(long k 20000)")
check "one header of 20 KiB: nginx's 400 (Request Header Or Cookie Too Large)" "400" "$st"
check "over-long headers: the upstream saw no request" "$n0" "$(up_requests)"
st=$(fetch longh "$A/thanos/echo" -H "X-Big: $(long h 3000)")
check "one header of 3 KiB (under the limit) passes" "200" "$st"
still_serving "over-long headers"

# ---- oversized body --------------------------------------------------------------

echo "# oversized request body (adapter limit 1 MiB; nginx A 1m, nginx B 64m)"
head -c $((20 * 1024 * 1024)) /dev/zero >"$TMPD/20m.bin"
head -c $((1024 * 1024)) /dev/urandom >"$TMPD/1m.bin"
cat "$TMPD/1m.bin" >"$TMPD/1m1.bin"
printf x >>"$TMPD/1m1.bin"
n0=$(up_requests)
# A: nginx's own limit answers from Content-Length, before the body: with
# Expect: 100-continue the client never sends it.
st=$(ucurl -o "$TMPD/body.b" -w '%{http_code} %{size_upload}' -H 'Expect: 100-continue' \
	-H 'Content-Type: application/octet-stream' --data-binary "@$TMPD/20m.bin" "$A/thanos/echo")
check_match "20 MiB with Content-Length through nginx A: 413 before the body is sent (status, bytes sent)" \
	'^413 [0-9]{1,6}$' "$st"
st=$(fetch body "$A/thanos/echo" -H 'Expect:' -H 'Content-Type: application/octet-stream' --data-binary "@$TMPD/20m.bin")
check "20 MiB with Content-Length through nginx A, no Expect: 413" 413 "$st"
# B: nginx reads the body, the adapter refuses it from CONTENT_LENGTH.
t0=$(now_ms)
st=$(fetch body "$B/thanos/echo" -H 'Content-Type: application/octet-stream' --data-binary "@$TMPD/20m.bin")
t=$(since_ms "$t0")
check "20 MiB with Content-Length through nginx B: the adapter's 413" "413 thanos-fcgi" "$st $(head -c 11 "$TMPD/body.b")"
check_duration "20 MiB through nginx B: answered at once (ms)" 0 "$t"
st=$(fetch body "$B/thanos/echo" -H 'Content-Type: application/octet-stream' -H 'Transfer-Encoding: chunked' \
	--data-binary "@$TMPD/20m.bin")
check "20 MiB chunked through nginx B: the adapter's 413" "413 thanos-fcgi" "$st $(head -c 11 "$TMPD/body.b")"
st=$(fetch body "$B/thanos/echo" -H 'Content-Type: application/octet-stream' --data-binary "@$TMPD/1m1.bin")
check "1 MiB + 1 byte through nginx B: the adapter's 413" "413 thanos-fcgi" "$st $(head -c 11 "$TMPD/body.b")"
check "oversized bodies: the upstream saw no request" "$n0" "$(up_requests)"
check_peak_rss "oversized bodies" 32
st=$(fetch body "$B/thanos/echo" -H 'Content-Type: application/octet-stream' --data-binary "@$TMPD/1m.bin")
check "exactly 1 MiB through nginx B: passes, whole" "200 1048576 $(sha "$TMPD/1m.bin")" \
	"$st $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["body_len"], d["body_sha256"])' "$TMPD/body.b" 2>&1)"
still_serving "oversized bodies"

# ---- forwarding headers a client sends --------------------------------------------

echo "# spoofed forwarding headers, httpoxy, settings as headers"
# echo_h NAME: the values of header NAME the upstream got, joined by "|"
# ("<absent>" for none).
echo_h() {
	python3 - "$TMPD/spoof.b" "$1" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("<no JSON: %s>" % e); sys.exit(0)
v = [val for n, val in d["headers"] if n.lower() == sys.argv[2].lower()]
print("|".join(v) if v else "<absent>")
EOF
}
st=$(fetch spoof "$A/thanos/echo" \
	-H 'X-Forwarded-Prefix: /evil' -H 'X-Forwarded-For: 192.0.2.7' \
	-H 'Forwarded: for=192.0.2.66;host=evil.example;proto=https' \
	-H 'X-Forwarded-Host: evil.example' -H 'X-Forwarded-Proto: https' \
	-H "Proxy: http://$TRAP" -H "Proxy-Authorization: Basic ZXZpbDpldmls" \
	-H "Thanos-Fcgi-Upstream: http://$TRAP" -H 'Thanos-Fcgi-Route-Prefix: /evil' \
	-H 'X_Forwarded_Prefix: /evil2' -H "Host: $TRAP")
check "spoofed headers: answered by the configured upstream" 200 "$st"
check "spoofed headers: path at the upstream is under the route prefix" /thanos/echo \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$TMPD/spoof.b" 2>&1)"
check "client X-Forwarded-Prefix replaced by the public prefix (X_Forwarded_Prefix too)" /thanos "$(echo_h X-Forwarded-Prefix)"
check "client X-Forwarded-For appended with the client address" "192.0.2.7, 127.0.0.1" "$(echo_h X-Forwarded-For)"
check "client Forwarded not passed on" "<absent>" "$(echo_h Forwarded)"
check "client X-Forwarded-Proto replaced" http "$(echo_h X-Forwarded-Proto)"
check "X-Forwarded-Host is the Host the client sent, once" "$TRAP" "$(echo_h X-Forwarded-Host)"
check "Host towards the upstream is the upstream's own" "127.0.0.1:$UP_PORT" "$(echo_h Host)"
check "httpoxy: Proxy header not passed on" "<absent>" "$(echo_h Proxy)"
check "Proxy-Authorization not passed on" "<absent>" "$(echo_h Proxy-Authorization)"
still_serving "spoofed headers"

# Two of each: nginx passes both; none of the client's prefix values gets
# through, the client's list is kept and the client address comes last.
st=$(fetch spoof "$A/thanos/echo" -H 'X-Forwarded-Prefix: /evil' -H 'x-forwarded-prefix: /evil2' \
	-H 'X-Forwarded-For: 192.0.2.7' -H 'X-Forwarded-For: 192.0.2.8')
check "two X-Forwarded-Prefix: the public prefix only" "200 /thanos" "$st $(echo_h X-Forwarded-Prefix)"
check_match "two X-Forwarded-For: one header, the client's values, then 127.0.0.1" \
	'^192\.0\.2\.7(, 192\.0\.2\.8)?, 127\.0\.0\.1$' "$(echo_h X-Forwarded-For)"

# ---- absolute-form and //host targets ------------------------------------------------

echo "# absolute-form, //host and other targets naming the trap $TRAP"
while IFS='|' read -r target want; do
	[ -n "$target" ] || continue
	n0=$(up_requests)
	st=$(raw abs "$target")
	got=$(grep ' req "' "$TMPD/up.log" | tail -n +$((n0 + 1)) | sed 's/.* req //' | tr '\n' ' ')
	check "target $target: status" "${want%% *}" "$st"
	check "target $target: what reached the upstream" "${want#* }" "${got% }"
	still_serving "target $target"
done <<EOF
http://$TRAP/thanos/echo|200 "GET /thanos/echo"
http://evil.example/thanos/echo|200 "GET /thanos/echo"
http://$TRAP/etc/passwd|404 
//$TRAP/thanos/echo|404 
///$TRAP/thanos/echo|404 
/thanos//$TRAP/echo|404 "GET /thanos/$TRAP/echo"
/thanos/http://$TRAP/x|404 "GET /thanos/http:/$TRAP/x"
/thanos/@$TRAP/x|404 "GET /thanos/@$TRAP/x"
/thanos\\\\$TRAP/x|404 
*|400 
EOF
for m in "CONNECT $TRAP HTTP/1.1" "OPTIONS * HTTP/1.1" "GET http://$TRAP:80@evil/thanos/echo HTTP/1.1"; do
	n0=$(up_requests)
	st=$(python3 "$TMPD/rawreq.py" "$PORT_ngxA" "$TMPD/m.raw" "$(guard)" "$m\\r\\nHost: $TRAP\\r\\nConnection: close\\r\\n\\r\\n")
	check_match "request line '$m': refused" '^4[0-9][0-9]$' "$st"
	check "request line '$m': the upstream saw no request" "$n0" "$(up_requests)"
done
still_serving "odd request lines"

# ---- what the upstream and the trap saw ----------------------------------------------

echo "# every request the upstream saw"
out=$(python3 - "$TMPD/up.log" <<'EOF'
import json, re, sys, urllib.parse
bad, n = [], 0
for line in open(sys.argv[1], encoding="latin-1"):
    m = re.search(r' req (".*")$', line.rstrip("\n"))
    if not m:
        continue
    n += 1
    method, _, target = json.loads(m.group(1)).partition(" ")
    path = target.split("?")[0]
    why = []
    if not (path == "/thanos" or path.startswith("/thanos/")):
        why.append("outside /thanos")
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in target):
        why.append("control character")
    segs = urllib.parse.unquote(path).replace("\\", "/").split("/")
    if any(s in (".", "..") for s in segs):
        why.append("dot segment")
    if why:
        bad.append("%s (%s)" % (target, ", ".join(why)))
print(n, "; ".join(bad) if bad else "all under /thanos/, no dot segment, no control character")
EOF
)
check_match "upstream log: requests seen" '^[1-9][0-9]* ' "$out"
check "upstream log: every path" "all under /thanos/, no dot segment, no control character" "${out#* }"
check "trap listener: no connection ever" "$TRAP0" "$(grep -c '^trap: ' "$TMPD/trap.log")"
check "adapter: the same process all along" alive "$(adapter_state)"

finish
