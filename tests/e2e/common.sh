# tests/e2e/common.sh: what the shell end-to-end tests share (systemd, the
# Debian package, the fault tests behind nginx, logins, read-only mounts;
# the deployments behind each front server are tests/harness/test_e2e.py).
# Sourced, not run; it sources tests/lib.sh itself when the caller has not.
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
#       the end-to-end suite through a front server (tests/harness/e2e.py's
#       Suite, as test_e2e.py runs it).  FRONT_BASE_URL is the front
#       server's origin only (http://127.0.0.1:8080), PUBLIC_PREFIX the
#       mount ("/thanos", "/a/b", "" or "/" for the root), DIRECT_BASE_URL the
#       upstream including its route prefix (http://127.0.0.1:9090/thanos),
#       KIND prometheus or mock.  LABEL prefixes every assertion line.
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
	local i=0 max=$(( ${2:-$(guard)} * 20 ))
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
		if [ "$i" -ge $(($(guard) * 20)) ]; then
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
	wait_port "$MOCK_PORT" || { fail "mock on port $MOCK_PORT did not start"; return 1; }
	export MOCK_PORT
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
	wait_port "$port" || { fail "lighttpd ($snippet) did not start"; return 1; }
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
	wait_port "$UP_PORT" || fail "fault upstream did not start"
}

# start_socket_adapter ARGS...: thanos-fcgi as "adapter" on the unix socket
# $TMPD/fcgi.sock with ARGS.  Sets SOCK and APID.
start_socket_adapter() {
	SOCK="$TMPD/fcgi.sock"
	rm -f "$SOCK" # a killed one's: wait_file must see the new one
	spawn adapter "$THANOS_FCGI_BIN" --listen "unix:$SOCK" "$@"
	APID=$PID_adapter
	wait_file "$SOCK" || fail "thanos-fcgi did not create $SOCK"
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
	wait_port "$port" || { fail "$name: nginx did not start"; return 1; }
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
