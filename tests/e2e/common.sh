# tests/e2e/common.sh: what every front-server end-to-end test shares
# (lighttpd, nginx, Apache, shared hosting).  Sourced, not run; it sources
# tests/lib.sh itself when the caller has not.
#
#   start_prometheus FRONT_PORT PUBLIC_PREFIX [ROUTE_PREFIX [FLAG...]]
#       Debian's prometheus on a free loopback port, scraping itself every
#       second, --web.route-prefix=ROUTE_PREFIX (default /thanos),
#       --web.external-url=http://127.0.0.1:FRONT_PORT$PUBLIC_PREFIX, storage
#       in $TMPD/prometheus-PORT/data, and the FLAGs.  Returns once it is
#       ready and has scraped itself once.  Sets PROM_PORT.
#   start_mock ARGS...
#       tests/mock/thanos_mock.py --listen 127.0.0.1:PORT ARGS.  Sets MOCK_PORT.
#   render TEMPLATE OUT KEY=VALUE...
#       copies a deploy/ template, replacing each @KEY@ by VALUE.
#   wait_http URL [SECONDS]
#       waits until URL answers with any HTTP status.
#   run_suite FRONT_BASE_URL PUBLIC_PREFIX DIRECT_BASE_URL KIND [LABEL]
#       the issue-3 assertions through a front server.  FRONT_BASE_URL is the
#       front server's origin only (http://127.0.0.1:8080), PUBLIC_PREFIX the
#       mount ("/thanos", "/a/b", "" or "/" for the root), DIRECT_BASE_URL the
#       upstream including its route prefix (http://127.0.0.1:9090/thanos),
#       KIND prometheus or mock.  LABEL prefixes every assertion line.
#   check_echo_headers LABEL FRONT_BASE_URL PUBLIC_PREFIX
#       against the mock: Authorization reaches the upstream, a client's
#       X-Forwarded-Prefix does not (the adapter's own carries the prefix),
#       X-Forwarded-For is the client's list plus the client.
#   check_streaming LABEL FRONT_BASE_URL PUBLIC_PREFIX
#       against the mock: a slow text/event-stream answer reaches the client
#       piece by piece, not held until the end.
#   check_dead_upstream LABEL URL
#       URL goes through a front/adapter pair whose upstream is a closed port
#       (DEAD_UPSTREAM, set here): asserts a 502 text/plain one-liner that
#       does not name the upstream (the log does).
#   lighttpd_up STATE PORT SNIPPET KEY=VALUE...
#       deploy/lighttpd's lighttpd.conf + SNIPPET (BIN, RUNDIR and the
#       KEY=VALUEs filled in) in the state directory STATE, lighttpd -D on
#       PORT.  Sets LIGHTTPD_PID.  lighttpd_down PORT stops it and waits.
#
# For the fault tests behind nginx (hostile.sh, upstream_faults.sh,
# client_faults.sh):
#
#   need_adapter
#       fails the test (and finishes it) when $THANOS_FCGI_BIN is not built.
#   start_fault_upstream ROUTE_PREFIX
#       tests/mock/thanos_mock.py --mode fault --route-prefix ROUTE_PREFIX on a free
#       loopback port, logging to $TMPD/up.log.  Sets UP_PORT, UP, UP_ROUTE.
#   start_socket_adapter ARGS...
#       thanos-fcgi --listen unix:$TMPD/fcgi.sock ARGS.  Sets SOCK, APID.
#   nginx_front_up NAME FCGI_ADDR [LOCATION_TEMPLATE [SERVER_LINES [KEY=VALUE...]]]
#       nginx from deploy/nginx (mount /thanos) in $TMPD/NAME on a free
#       loopback port.  Sets PORT_NAME.
#   adapter_still_serving LABEL URL
#       the adapter $APID still runs and URL answers 200 "ok"; too many
#       misses end the test.
#   upstream_busy
#       the answers still in progress at the fault upstream ("" for none).
#   check_peak_rss LABEL MIB
#       the adapter's peak RSS (VmHWM) stays under MIB MiB.

if [ -z "${TMPD:-}" ]; then
	. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"
fi

# thanos-fcgi warns about THANOS_FCGI_* names it does not know in its
# environment, and lib.sh exports THANOS_FCGI_BIN: keep that one out of the
# environment of everything started here (web servers pass their
# environment on to the programs they spawn).
export -n THANOS_FCGI_BIN

# short FILE: the first 300 bytes of FILE on one line, for failure messages.
short() { head -c 300 "$1" | tr '\n\r' '  '; }

# A port that refuses every connection, for the dead-upstream checks.
hold_dead_port DEAD_PORT
DEAD_UPSTREAM="http://127.0.0.1:$DEAD_PORT"
export DEAD_PORT DEAD_UPSTREAM

# ucurl ARGS...: curl that never uses a proxy from the environment and gives
# up after UCURL_MAX_TIME seconds (10 unless the test sets it).
ucurl() { curl -s --noproxy '*' --max-time "${UCURL_MAX_TIME:-10}" "$@"; }

# hdr NAME FILE: the value of the last NAME header in a curl -D dump.
hdr() {
	tr -d '\r' <"$2" | awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); last = v } }
		END { print last }'
}

# fetch NAME URL [CURL ARGS...]: one request, no redirect following;
# headers in $TMPD/NAME.h, body in $TMPD/NAME.b; prints the status.
fetch() {
	local name=$1 url=$2; shift 2
	: >"$TMPD/$name.b"
	: >"$TMPD/$name.h"
	ucurl -o "$TMPD/$name.b" -D "$TMPD/$name.h" -w '%{http_code}' "$@" "$url"
}

# sha FILE: sha256 of a file.
sha() { sha256sum <"$1" | cut -d' ' -f1; }

render() {
	local src=$1 dst=$2 expr="" kv k v
	shift 2
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		v=$(printf '%s' "$v" | sed -e 's/[\\|&]/\\&/g')
		expr="$expr;s|@$k@|$v|g"
	done
	sed -e "${expr#;}" "$src" >"$dst" || return 1
	if grep -Eq '@[A-Z_]+@' "$dst"; then
		echo "render: $src leaves $(grep -Eo '@[A-Z_]+@' "$dst" | sort -u | tr '\n' ' ')unset" >&2
		return 1
	fi
}

wait_http() {
	local i=0 max=$(( ${2:-10} * 20 ))
	while [ "$(ucurl -o /dev/null -w '%{http_code}' --max-time 2 "$1")" = 000 ]; do
		i=$((i + 1))
		[ "$i" -ge "$max" ] && { echo "$1 did not answer" >&2; return 1; }
		sleep 0.05
	done
}

start_prometheus() {
	local front_port=$1 prefix=$2 route=${3:-/thanos} dir i
	shift $(($# < 3 ? $# : 3))
	need prometheus
	[ "$prefix" = / ] && prefix=""
	PROM_PORT=$(free_port)
	dir="$TMPD/prometheus-$PROM_PORT"
	mkdir -p "$dir"
	cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    metrics_path: ${route%/}/metrics
    static_configs:
      - targets: ['127.0.0.1:$PROM_PORT']
EOF
	spawn "prometheus_$PROM_PORT" prometheus --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" \
		--web.route-prefix="$route" \
		--web.external-url="http://127.0.0.1:$front_port$prefix" "$@"
	i=0
	# ready, and the first scrape is in: `up` has a result
	while ! ucurl --max-time 2 "http://127.0.0.1:$PROM_PORT${route%/}/api/v1/query?query=up" | grep -q '"job":"prometheus"'; do
		i=$((i + 1))
		if [ "$i" -ge 600 ]; then
			fail "prometheus on port $PROM_PORT did not become ready (log: $TMPD/prometheus_$PROM_PORT.log)"
			return 1
		fi
		sleep 0.05
	done
	export PROM_PORT
}

start_mock() {
	need python3
	MOCK_PORT=$(free_port)
	spawn "mock_$MOCK_PORT" python3 "$top_srcdir/tests/mock/thanos_mock.py" \
		--listen "127.0.0.1:$MOCK_PORT" "$@"
	wait_port "$MOCK_PORT" 10 || { fail "mock on port $MOCK_PORT did not start"; return 1; }
	export MOCK_PORT
}

check_dead_upstream() {
	local label=$1 url=$2 st ct body
	st=$(fetch dead "$url")
	ct=$(hdr Content-Type "$TMPD/dead.h")
	body=$(short "$TMPD/dead.b")
	check "$label: dead upstream gives 502" 502 "$st"
	check_match "$label: dead upstream answer is text/plain" '^text/plain' "$ct"
	check "$label: dead upstream answer is one line" 1 "$(wc -l <"$TMPD/dead.b" | tr -d ' ')"
	check "$label: dead upstream answer is generic, without the upstream's address" \
		"thanos-fcgi: upstream failed " "$body"
}

lighttpd_up() {
	local state=$1 port=$2 snippet=$3 d="$top_srcdir/deploy/lighttpd"
	shift 3
	mkdir -p "$state/htdocs"
	render "$d/$snippet" "$state/mount.conf" BIN="$THANOS_FCGI_BIN" RUNDIR="$state" "$@" || { fail "render $snippet"; return 1; }
	render "$d/lighttpd.conf" "$state/lighttpd.conf" PORT="$port" STATEDIR="$state" MOUNT_CONF="$state/mount.conf" || { fail "render lighttpd.conf"; return 1; }
	if ! lighttpd -tt -f "$state/lighttpd.conf" >"$state/check.log" 2>&1; then
		fail "lighttpd rejects $snippet: $(head -n 3 "$state/check.log")"
		return 1
	fi
	N_LIGHTTPD=$((${N_LIGHTTPD:-0} + 1))
	spawn "lighttpd$N_LIGHTTPD" lighttpd -D -f "$state/lighttpd.conf"
	eval "LIGHTTPD_PID=\$PID_lighttpd$N_LIGHTTPD"
	wait_port "$port" 10 || { fail "lighttpd ($snippet) did not start"; return 1; }
}

lighttpd_down() {
	local i=0
	kill "$LIGHTTPD_PID" 2>/dev/null
	wait "$LIGHTTPD_PID" 2>/dev/null
	while (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

check_echo_headers() {
	local label=$1 front=${2%/} p=${3%/} st
	[ "$p" = / ] && p=""
	st=$(fetch echo "$front$p/-/echo" -H 'Authorization: Basic dXNlcjpwYXNz' \
		-H 'X-Forwarded-Prefix: /evil' -H 'X-Forwarded-For: 192.0.2.7')
	check "$label: echo status" 200 "$st"
	python3 - "$TMPD/echo.b" >"$TMPD/echo.txt" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    d = {"headers": {}}
h = {k.lower(): v for k, v in d["headers"].items()}
print(h.get("authorization", "<none>"))
print(h.get("x-forwarded-prefix", "<none>"))
print(h.get("x-forwarded-for", "<none>"))
EOF
	check "$label: Authorization reaches the upstream" 'Basic dXNlcjpwYXNz' "$(sed -n 1p "$TMPD/echo.txt")"
	check_match "$label: X-Forwarded-Prefix upstream is the public prefix, not the client's" "^(${p:-(<none>)?})\$" "$(sed -n 2p "$TMPD/echo.txt")"
	check_match "$label: X-Forwarded-For keeps the client's list and adds the client" '^192\.0\.2\.7, *127\.0\.0\.1$' "$(sed -n 3p "$TMPD/echo.txt")"
}

check_streaming() {
	local label=$1 front=${2%/} p=${3%/} out
	[ "$p" = / ] && p=""
	# 3 pieces of 100 bytes, 700 ms apart: the first must arrive at once
	out=$(python3 - "$front$p/-/bytes?n=300&chunk=100&delay_ms=700&sse=1" <<'EOF'
import sys, time, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
t0 = time.monotonic()
try:
    with opener.open(sys.argv[1], timeout=20) as r:
        first = r.read(1)
        t1 = time.monotonic() - t0
        rest = r.read()
        t2 = time.monotonic() - t0
    print("%d %s %.2f %.2f" % (r.status, len(first) + len(rest), t1, t2))
except Exception as e:
    print("error %s" % e)
EOF
)
	check_match "$label: an event stream is passed on as it comes (status bytes first-byte-s total-s)" '^200 300 0\.[0-5][0-9] (1\.[3-9]|[2-9])' "$out"
}

# --- run_suite pieces --------------------------------------------------------

# url_path URL: the path of an absolute URL ("" for an origin).
url_path() { printf '%s' "$1" | sed -E 's|^[a-z]+://[^/]*||; s|[?#].*||'; }

# json_summary FILE KIND: what must be equal between front and direct answers
# of the query API.  mock: the bytes.  prometheus: status, resultType and the
# label sets of the result (the sample values carry timestamps).
json_summary() {
	if [ "$2" = mock ]; then sha "$1"; return; fi
	python3 - "$1" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1], "rb"))
except Exception as e:
    print("not JSON: %s" % e); sys.exit(0)
data = d.get("data")
out = {"status": d.get("status"), "errorType": d.get("errorType")}
if isinstance(data, dict):
    out["resultType"] = data.get("resultType")
    res = data.get("result")
    if isinstance(res, list):
        out["metrics"] = sorted(json.dumps(r.get("metric"), sort_keys=True) for r in res)
elif isinstance(data, list):
    out["data_is_list"] = True
print(json.dumps(out, sort_keys=True))
EOF
}

# page_assets FILE BASE_URL: absolute URLs of script src= and link href=.
page_assets() {
	python3 - "$1" "$2" <<'EOF'
import html.parser, sys, urllib.parse
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append(a["src"])
        elif tag == "link" and a.get("href"):
            self.refs.append(a["href"])
p = P()
p.feed(open(sys.argv[1], encoding="utf-8", errors="replace").read())
seen = set()
for r in p.refs:
    u = urllib.parse.urljoin(sys.argv[2], r)
    if u not in seen:
        seen.add(u)
        print(u)
EOF
}

# ui_prefix FILE: the JS prefix the UI page was rendered with (Thanos's
# GLOBAL_PATH_PREFIX, Prometheus classic's PATH_PREFIX), unescaped.
ui_prefix() {
	grep -Eo '(GLOBAL_PATH_PREFIX|PATH_PREFIX) *= *"[^"]*"' "$1" | head -n 1 |
		sed -E 's/^[^"]*"//; s/"$//; s|\\/|/|g'
}

# suite_redirects: the chain from the bare prefix; sets FINAL_URL.
suite_redirects() {
	local url loc path st i=0 ok=1 why="" chain=""
	url="$FRONT$P"
	[ -z "$P" ] && url="$FRONT/"
	FINAL_URL=""
	while :; do
		st=$(ucurl -o "$TMPD/page.b" -D "$TMPD/page.h" -w '%{http_code} %{redirect_url}' "$url")
		loc=$(hdr Location "$TMPD/page.h")
		chain="$chain ${st%% *}"
		case "${st%% *}" in
		301 | 302 | 303 | 307 | 308) ;;
		*) break ;;
		esac
		chain="$chain:$loc"
		url=${st#* }
		path=$(url_path "$url")
		case "$url" in
		"$FRONT"/*) ;;
		*) ok=0; why="$why; Location '$loc' leaves the front origin $FRONT" ;;
		esac
		case "$path" in
		"$P" | "$P"/*) ;;
		*) ok=0; why="$why; Location '$loc' is outside the public prefix '$P'" ;;
		esac
		if [ -n "$P" ]; then
			case "$path" in "$P$P" | "$P$P"/*) ok=0; why="$why; Location '$loc' doubles the prefix" ;; esac
		fi
		if [ -n "$R" ] && [ "$R" != "$P" ]; then
			case "$path" in "$P$R" | "$P$R"/*) ok=0; why="$why; Location '$loc' keeps the route prefix $R" ;; esac
		fi
		case "$path" in *//*) ok=0; why="$why; Location '$loc' has //" ;; esac
		i=$((i + 1))
		if [ "$i" -gt 10 ]; then ok=0; why="$why; more than 10 redirects"; break; fi
	done
	if [ "$ok" = 1 ]; then
		pass "$L: every Location from the bare prefix stays under '$P' (chain:$chain)"
	else
		fail "$L: redirect chain from the bare prefix${why} (chain:$chain)"
	fi
	check "$L: redirect chain from the bare prefix ends on 200" 200 "${st%% *}"
	check_match "$L: final page is HTML" '^text/html' "$(hdr Content-Type "$TMPD/page.h")"
	check "$L: UI page is rendered for the public prefix" "$P" "$(ui_prefix "$TMPD/page.b")"
	FINAL_URL=$url
}

# direct_url PUBLIC_URL: the upstream URL the public URL maps to.
direct_url() {
	local rest=${1#"$FRONT"}
	printf '%s%s' "$DIRECT" "${rest#"$P"}"
}

suite_assets() {
	local n=0 u st dst
	[ -n "$FINAL_URL" ] || { fail "$L: no UI page, no assets to check"; return; }
	cp "$TMPD/page.b" "$TMPD/ui.html"
	while read -r u; do
		[ -n "$u" ] || continue
		n=$((n + 1))
		case "$u" in
		"$FRONT$P"/*) ;;
		*) fail "$L: asset $u is outside the public prefix"; continue ;;
		esac
		st=$(fetch asset "$u")
		check "$L: asset ${u#"$FRONT"} loads" 200 "$st"
		dst=$(fetch asset_direct "$(direct_url "$u")")
		if [ "$st" = 200 ] && [ "$dst" = 200 ]; then
			check "$L: asset ${u#"$FRONT"} has the upstream's bytes" "$(sha "$TMPD/asset_direct.b")" "$(sha "$TMPD/asset.b")"
		fi
	done <<EOF
$(page_assets "$TMPD/ui.html" "$FINAL_URL")
EOF
	if [ "$n" -gt 0 ]; then pass "$L: UI page references $n assets"; else fail "$L: UI page references no assets"; fi
	FIRST_ASSET=$(page_assets "$TMPD/ui.html" "$FINAL_URL" | grep -E '\.js(\?|$)' | head -n 1)
}

suite_queries() {
	local st dst q
	st=$(fetch q "$FRONT$P/api/v1/query?query=up")
	dst=$(fetch qd "$DIRECT/api/v1/query?query=up")
	check "$L: GET query=up status" "$dst" "$st"
	check "$L: GET query=up answers like the upstream" "$(json_summary "$TMPD/qd.b" "$KIND")" "$(json_summary "$TMPD/q.b" "$KIND")"
	st=$(fetch q "$FRONT$P/api/v1/query" --data-urlencode 'query=up')
	dst=$(fetch qd "$DIRECT/api/v1/query" --data-urlencode 'query=up')
	check "$L: form-POST query=up status" "$dst" "$st"
	check "$L: form-POST query=up answers like the upstream" "$(json_summary "$TMPD/qd.b" "$KIND")" "$(json_summary "$TMPD/q.b" "$KIND")"
	check_match "$L: form-POST query=up succeeded" '"status":"success"' "$(short "$TMPD/q.b")"
	# a %2F, a | and quotes in the query string, GET and POST
	q='up{job=~"a/b|prometheus|mock"}'
	st=$(fetch q "$FRONT$P/api/v1/query" -G --data-urlencode "query=$q")
	dst=$(fetch qd "$DIRECT/api/v1/query" -G --data-urlencode "query=$q")
	check "$L: GET query with %2F in a regex status" "$dst" "$st"
	check "$L: GET query with %2F in a regex answers like the upstream" "$(json_summary "$TMPD/qd.b" "$KIND")" "$(json_summary "$TMPD/q.b" "$KIND")"
	check_match "$L: GET query with %2F in a regex finds the series" '"job":"(prometheus|mock)"' "$(short "$TMPD/q.b")"
	st=$(fetch q "$FRONT$P/api/v1/query" --data-urlencode "query=$q")
	dst=$(fetch qd "$DIRECT/api/v1/query" --data-urlencode "query=$q")
	check "$L: form-POST query with %2F in a regex answers like the upstream" "$dst $(json_summary "$TMPD/qd.b" "$KIND")" "$st $(json_summary "$TMPD/q.b" "$KIND")"
}

suite_encoding() {
	local st dst name
	if [ "$KIND" = mock ]; then
		for name in 'a%2Fb' 'caf%C3%A9%20x%3Fy' '%25%2e%41'; do
			st=$(fetch lv "$FRONT$P/api/v1/label/$name/values")
			check_match "$L: label name $name reaches the upstream as sent" "\"name_raw\":\"$name\"" "$st $(short "$TMPD/lv.b")"
			dst=$(fetch lvd "$DIRECT/api/v1/label/$name/values")
			check "$L: label $name values answer like the upstream" "$dst $(sha "$TMPD/lvd.b")" "$st $(sha "$TMPD/lv.b")"
		done
		st=$(fetch echo "$FRONT$P/-/echo?x=a%2Fb%20c%26d&y=%C3%A9+z")
		check_match "$L: query string reaches the upstream as sent" '"query":"x=a%2Fb%20c%26d&y=%C3%A9\+z"' "$st $(short "$TMPD/echo.b")"
	else
		st=$(fetch lv "$FRONT$P/api/v1/label/__name__/values")
		dst=$(fetch lvd "$DIRECT/api/v1/label/__name__/values")
		check "$L: /api/v1/label/__name__/values status" "$dst" "$st"
		check "$L: /api/v1/label/__name__/values lists up" yes "$(grep -q '"up"' "$TMPD/lv.b" && echo yes || short "$TMPD/lv.b")"
		st=$(fetch lv "$FRONT$P/api/v1/label/a%2Fb/values")
		dst=$(fetch lvd "$DIRECT/api/v1/label/a%2Fb/values")
		check "$L: /api/v1/label/a%2Fb/values answers like the upstream" "$dst $(sha "$TMPD/lvd.b")" "$st $(sha "$TMPD/lv.b")"
		st=$(fetch lv "$FRONT$P/api/v1/series" -G --data-urlencode 'match[]=up{job="café x/y"}')
		dst=$(fetch lvd "$DIRECT/api/v1/series" -G --data-urlencode 'match[]=up{job="café x/y"}')
		check "$L: series with an encoded matcher answers like the upstream" "$dst $(sha "$TMPD/lvd.b")" "$st $(sha "$TMPD/lv.b")"
	fi
}

# gzip_one DESC PATH: PATH (under the prefix) asked for with gzip.
gzip_one() {
	local st
	st=$(fetch gz "$FRONT$P$2" -H 'Accept-Encoding: gzip')
	fetch gzd "$DIRECT$2" >/dev/null
	check "$L: $1 status with gzip" 200 "$st"
	check "$L: $1 arrives gzip-encoded" gzip "$(hdr Content-Encoding "$TMPD/gz.h")"
	check "$L: $1 gunzips to the upstream's bytes" "$(sha "$TMPD/gzd.b")" "$(gzip -dc <"$TMPD/gz.b" 2>&1 | sha256sum | cut -d' ' -f1)"
}

suite_gzip() {
	if [ "$KIND" = mock ]; then
		gzip_one /api/v1/labels /api/v1/labels
		if [ -n "${FIRST_ASSET:-}" ]; then
			gzip_one "asset" "${FIRST_ASSET#"$FRONT$P"}"
		fi
	else
		gzip_one /api/v1/status/buildinfo /api/v1/status/buildinfo
	fi
}

suite_methods() {
	local st dst
	# HEAD
	st=$(fetch m "$FRONT$P/api/v1/query?query=up" -I)
	dst=$(fetch md "$DIRECT/api/v1/query?query=up" -I)
	check "$L: HEAD on the query API passes through" "$dst" "$st"
	if [ -n "${FIRST_ASSET:-}" ]; then
		st=$(fetch m "$FIRST_ASSET" -I)
		dst=$(fetch md "$(direct_url "$FIRST_ASSET")" -I)
		check "$L: HEAD on an asset passes through" "$dst $(hdr Content-Length "$TMPD/md.h")" "$st $(hdr Content-Length "$TMPD/m.h")"
	fi
	# OPTIONS
	st=$(fetch m "$FRONT$P/api/v1/query" -X OPTIONS -H 'Origin: http://example.com' -H 'Access-Control-Request-Method: POST')
	dst=$(fetch md "$DIRECT/api/v1/query" -X OPTIONS -H 'Origin: http://example.com' -H 'Access-Control-Request-Method: POST')
	check "$L: OPTIONS on the API passes through" "$dst" "$st"
	check "$L: OPTIONS keeps the CORS headers" "$(hdr Access-Control-Allow-Methods "$TMPD/md.h")" "$(hdr Access-Control-Allow-Methods "$TMPD/m.h")"
	# 404
	st=$(fetch m "$FRONT$P/no/such/page")
	dst=$(fetch md "$DIRECT/no/such/page")
	check "$L: upstream 404 is asked for" 404 "$dst"
	check "$L: 404 passes through" "$dst $(sha "$TMPD/md.b")" "$st $(sha "$TMPD/m.b")"
	# 405
	st=$(fetch m "$FRONT$P/api/v1/query?query=up" -X DELETE)
	dst=$(fetch md "$DIRECT/api/v1/query?query=up" -X DELETE)
	check "$L: upstream 405 is asked for" 405 "$dst"
	check "$L: 405 passes through with Allow" "$dst $(hdr Allow "$TMPD/md.h")" "$st $(hdr Allow "$TMPD/m.h")"
}

run_suite() {
	FRONT=${1%/}
	P=$2
	DIRECT=${3%/}
	KIND=$4
	[ "$P" = / ] && P=""
	P=${P%/}
	R=$(url_path "$DIRECT")
	L=${5:-"$KIND at '${P:-/}'"}
	FIRST_ASSET=""
	case "$KIND" in
	prometheus | mock) ;;
	*) fail "run_suite: KIND must be prometheus or mock, not '$KIND'"; return 1 ;;
	esac
	# A front that does not answer at all would cost a timeout per
	# assertion: one failure instead.
	if [ "$(fetch probe "$FRONT$P/api/v1/query?query=up" --max-time 10)" = 000 ]; then
		fail "$L: no answer within 10s from $FRONT$P/api/v1/query?query=up (rest of this suite not run)"
		return 1
	fi
	suite_redirects
	suite_assets
	suite_queries
	suite_encoding
	suite_gzip
	suite_methods
	# a root path (Thanos: sent to the upstream's root; Prometheus: under R)
	check "$L: ${P}/-/ready answers" 200 "$(fetch ready "$FRONT$P/-/ready")"
}

# --- nginx, the adapter and the fault upstream (hostile.sh, upstream_faults.sh,
# client_faults.sh) ---------------------------------------------------------------

# need_adapter: fails the test, and ends it, when the adapter is not built.
need_adapter() {
	[ -x "$THANOS_FCGI_BIN" ] || { fail "thanos-fcgi not built: $THANOS_FCGI_BIN"; finish; }
}

# start_fault_upstream ROUTE_PREFIX: thanos_mock.py --mode fault as "up" (log in
# $TMPD/up.log) on a free loopback port.  Sets UP_PORT, UP and UP_ROUTE.
start_fault_upstream() {
	UP_ROUTE=$1
	UP_PORT=$(free_port)
	UP="http://127.0.0.1:$UP_PORT"
	spawn up python3 "$top_srcdir/tests/mock/thanos_mock.py" --mode fault --listen "127.0.0.1:$UP_PORT" --route-prefix "$UP_ROUTE"
	wait_port "$UP_PORT" 10 || fail "fault upstream did not start"
}

# start_socket_adapter ARGS...: thanos-fcgi as "adapter" on the unix socket
# $TMPD/fcgi.sock with ARGS.  Sets SOCK and APID.
start_socket_adapter() {
	SOCK="$TMPD/fcgi.sock"
	rm -f "$SOCK" # a killed one's: wait_file must see the new one
	spawn adapter "$THANOS_FCGI_BIN" --listen "unix:$SOCK" "$@"
	APID=$PID_adapter
	wait_file "$SOCK" 10 || fail "thanos-fcgi did not create $SOCK"
}

# nginx_render DIR FCGI_ADDR PORT LOCATION_TEMPLATE SERVER_LINES [KEY=VALUE...]:
# deploy/nginx rendered into DIR, mount /thanos; the location template gets
# the KEY=VALUEs; non-empty SERVER_LINES go at server level before it.
nginx_render() {
	local d=$1 addr=$2 port=$3 loc=$4 extra=$5 src="$top_srcdir/deploy/nginx" conf
	shift 5
	conf="$d/location.conf"
	render "$src/thanos-fcgi.conf" "$d/thanos-fcgi.conf" &&
		render "$src/thanos-fcgi-upstream.conf" "$d/thanos-fcgi-upstream.conf" FCGI_ADDR="$addr" &&
		render "$src/$loc" "$d/location.conf" MOUNT=/thanos CONFDIR="$d" "$@" || return 1
	if [ -n "$extra" ]; then
		conf="$d/server.conf"
		printf '%s\ninclude %s/location.conf;\n' "$extra" "$d" >"$conf" || return 1
	fi
	render "$src/nginx.conf" "$d/nginx.conf" USER="$(id -un)" PORT="$port" STATEDIR="$d" \
		CONFDIR="$d" LOCATION_CONF="$conf"
}

# nginx_front_up NAME FCGI_ADDR [LOCATION_TEMPLATE [SERVER_LINES [KEY=VALUE...]]]:
# nginx in $TMPD/NAME on a free loopback port (nginx_render; the template is
# thanos-fcgi-location.conf unless given).  Sets PORT_NAME.
nginx_front_up() {
	local name=$1 addr=$2 loc=${3:-thanos-fcgi-location.conf} extra=${4:-} d="$TMPD/$1" port
	shift $(($# < 4 ? $# : 4))
	port=$(free_port)
	mkdir -p "$d"
	nginx_render "$d" "$addr" "$port" "$loc" "$extra" "$@" || { fail "$name: rendering deploy/nginx failed"; return 1; }
	if ! nginx -t -q -e stderr -p "$d" -c "$d/nginx.conf" >"$d/check.log" 2>&1; then
		fail "$name: nginx rejects the config: $(head -n 3 "$d/check.log")"
		return 1
	fi
	spawn "$name" nginx -e stderr -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
	wait_port "$port" 10 || { fail "$name: nginx did not start"; return 1; }
	eval "PORT_$name=$port"
}

# adapter_state: "alive" while the adapter process $APID runs, else "dead".
adapter_state() { if kill -0 "$APID" 2>/dev/null; then echo alive; else echo dead; fi; }

# adapter_still_serving LABEL URL: after a fault, the same adapter process
# runs and URL (its "ok" page through the front) answers 200 "ok" within
# 3 s.  Three misses in a row, or six in all: the rest of the test is not
# run (one failure instead of a timeout per request).
adapter_still_serving() {
	local st alive
	rm -f "$TMPD/ok.b"
	st=$(ucurl --max-time 3 -o "$TMPD/ok.b" -w '%{http_code}' "$2")
	alive=$(adapter_state)
	check "$1: then the adapter (pid $APID) still runs and serves the next request" \
		"alive 200 ok" "$alive $st $(cat "$TMPD/ok.b" 2>/dev/null)"
	if [ "$alive $st" = "alive 200" ]; then
		DEAD_STREAK=0
	else
		DEAD_STREAK=$((${DEAD_STREAK:-0} + 1))
		MISSES=$((${MISSES:-0} + 1))
	fi
	if [ "${DEAD_STREAK:-0}" -ge 3 ] || [ "${MISSES:-0}" -ge 6 ]; then
		fail "adapter stopped serving ($MISSES next requests unanswered, $DEAD_STREAK in a row): rest of the test not run"
		finish
	fi
}

# upstream_busy: the answers still in progress at the fault upstream ("" for
# none), once they are over or after 3 s.
upstream_busy() {
	local i b
	for i in $(seq 1 60); do
		b=$(ucurl --max-time 2 "$UP$UP_ROUTE/stats" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["busy"]))' 2>&1)
		[ -z "$b" ] && break
		sleep 0.05
	done
	printf '%s' "$b"
}

# check_peak_rss LABEL MIB: the adapter's peak RSS (VmHWM) is under MIB MiB.
check_peak_rss() {
	local hwm
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$APID/status" 2>/dev/null)
	check "$1: the adapter's peak RSS stays under $2 MiB (VmHWM ${hwm:-?} kB)" yes \
		"$([ "${hwm:-999999}" -lt $(($2 * 1024)) ] && echo yes || echo "no: ${hwm:-?} kB")"
}
