# tests/e2e/common.sh: what the remaining shell end-to-end tests share
# (tests/e2e/debian_package.sh, tests/soak; every other end-to-end test is
# a harness file, tests/harness/).  Sourced, not run; it sources
# tests/lib.sh itself when the caller has not.
#
#   start_prometheus FRONT_PORT PUBLIC_PREFIX [ROUTE_PREFIX [FLAG...]]
#       Debian's prometheus on a free loopback port, scraping itself every
#       second, --web.route-prefix=ROUTE_PREFIX (default /thanos),
#       --web.external-url=http://127.0.0.1:FRONT_PORT$PUBLIC_PREFIX, storage
#       in $TMPD/prometheus-PORT/data, and the FLAGs.  Returns once it is
#       ready and has scraped itself once.  Sets PROM_PORT.
#   render TEMPLATE OUT KEY=VALUE...
#       copies a deploy/ template, replacing each @KEY@ by VALUE.
#   run_suite FRONT_BASE_URL PUBLIC_PREFIX DIRECT_BASE_URL KIND [LABEL]
#       the end-to-end suite through a front server (tests/harness/e2e.py's
#       Suite, as test_e2e.py runs it).  FRONT_BASE_URL is the front
#       server's origin only (http://127.0.0.1:8080), PUBLIC_PREFIX the
#       mount ("/thanos", "/a/b", "" or "/" for the root), DIRECT_BASE_URL the
#       upstream including its route prefix (http://127.0.0.1:9090/thanos),
#       KIND prometheus or mock.  LABEL prefixes every assertion line.
#   fetch NAME URL CURL_ARGS..., hdr NAME FILE, sha FILE, ucurl ARGS...
#       one request (its status printed, the body in $TMPD/NAME.b, the
#       headers in $TMPD/NAME.h), a header of it, a file's sha256, curl.

if [ -z "${TMPD:-}" ]; then
	. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"
fi

# thanos-fcgi warns about THANOS_FCGI_* names it does not know in its
# environment, and lib.sh exports THANOS_FCGI_BIN: keep that one out of the
# environment of everything started here (web servers pass their
# environment on to the programs they spawn).
export -n THANOS_FCGI_BIN

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
		if [ "$i" -ge $(($(guard) * 20)) ]; then
			fail "prometheus on port $PROM_PORT did not become ready (log: $TMPD/prometheus_$PROM_PORT.log)"
			return 1
		fi
		sleep 0.05
	done
	export PROM_PORT
}

# run_suite: tests/harness/e2e.py's Suite (the one implementation, the
# harness's test_e2e.py runs it behind every front server), its checks
# counted here as this test's own.
run_suite() {
	local line rc
	case "${4:-}" in
	prometheus | mock) ;;
	*) fail "run_suite: KIND must be prometheus or mock, not '${4:-}'"; return 1 ;;
	esac
	python3 "$top_srcdir/tests/harness/e2e.py" suite "$@" >"$TMPD/suite.out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) pass "${line#ok - }" ;;
		"not ok - "*) fail "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done <"$TMPD/suite.out"
	case "$rc" in
	0 | 1) ;;
	*) fail "run_suite ${5:-}: tests/harness/e2e.py exited $rc: $(tail -n 3 "$TMPD/suite.out" | tr '\n' ' ')" ;;
	esac
}

# --- nginx, the adapter and the fault upstream (hostile.sh, upstream_faults.sh,
# client_faults.sh) ---------------------------------------------------------------

