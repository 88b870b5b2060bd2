#!/bin/bash
# tests/e2e/metrics_pool.sh: the metrics of a pool of adapter processes,
# summed in one scrape, behind nginx (deploy/nginx's files) and scraped by
# Debian's real Prometheus:
#   three thanos-fcgi --listen processes, one --metrics.file, behind one
#   nginx upstream block (round robin): N requests spread over them, one
#   scrape shows N; Prometheus scrapes the metrics path through nginx and
#   its query API gives N back;
#   spawn-fcgi -F 3 on one socket, one file: N requests, one scrape shows
#   N; a process killed (SIGKILL): its counts stay, it leaves the gauge.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"
need nginx spawn-fcgi prometheus python3 curl
[ -x "$THANOS_FCGI_BIN" ] || { fail "thanos-fcgi not built: $THANOS_FCGI_BIN"; finish; }

D="$top_srcdir/deploy/nginx"
PORT=$(free_port)
F="http://127.0.0.1:$PORT"
MP=/-/thanos-fcgi/metrics
N=30
SCRAPE_S=1
# Prometheus is up and has scraped within this many scrape intervals
SCRAPE_WAIT=$((30 * SCRAPE_S))
NGX=0
start_mock --route-prefix /thanos
UP="http://127.0.0.1:$MOCK_PORT"

# front_up ADDR...: deploy/nginx with /thanos handed to the FastCGI
# servers ADDR... (one upstream block, nginx's round robin), on $PORT.
front_up() {
	local d servers
	NGX=$((NGX + 1))
	d="$TMPD/nginx$NGX"
	mkdir -p "$d"
	servers=$(printf '%s; server ' "$@")
	servers=${servers%; server }
	render "$D/thanos-fcgi.conf" "$d/thanos-fcgi.conf" || return 1
	render "$D/thanos-fcgi-upstream.conf" "$d/thanos-fcgi-upstream.conf" FCGI_ADDR="$servers" || return 1
	render "$D/thanos-fcgi-location.conf" "$d/location.conf" CONFDIR="$d" MOUNT=/thanos || return 1
	render "$D/nginx.conf" "$d/nginx.conf" USER="$(id -un)" PORT="$PORT" STATEDIR="$d" \
		CONFDIR="$d" LOCATION_CONF="$d/location.conf" || return 1
	spawn "nginx$NGX" nginx -e stderr -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
	eval "NGINX_PID=\$PID_nginx$NGX"
	wait_port "$PORT" || { fail "nginx did not start"; return 1; }
}

front_down() {
	kill -QUIT "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
}

# series NAME{LABELS}: its value in $TMPD/scrape.b; total NAME: the sum of
# every series of NAME.
series() { awk -v s="$1" 'index($0, s " ") == 1 { print substr($0, length(s) + 2) }' "$TMPD/scrape.b"; }
total() { awk -v n="$1" '$1 == n || index($1, n "{") == 1 { t += $2 } END { print t + 0 }' "$TMPD/scrape.b"; }

# traffic: N queries (200) and 3 unknown pages (the mock's 404) through
# nginx, one at a time; checks every answer's status.
traffic() {
	local ok=0 nf=0 i
	for i in $(seq 1 "$N"); do
		[ "$(ucurl -o /dev/null -w '%{http_code}' "$F/thanos/api/v1/query?query=up")" = 200 ] && ok=$((ok + 1))
	done
	for i in 1 2 3; do
		[ "$(ucurl -o /dev/null -w '%{http_code}' "$F/thanos/nope$i")" = 404 ] && nf=$((nf + 1))
	done
	check "$1: $N queries answered 200" "$N" "$ok"
	check "$1: 3 unknown pages answered 404" 3 "$nf"
}

check_scrape() { # LABEL PROCESSES
	check "$1: scrape through nginx" 200 "$(fetch scrape "$F/thanos$MP")"
	check "$1: one scrape, GET 200 summed over the processes" "$N" \
		"$(series 'thanos_fcgi_requests_total{code="200",method="GET"}')"
	check "$1: GET 404" 3 "$(series 'thanos_fcgi_requests_total{code="404",method="GET"}')"
	check "$1: nothing else counted (the scrapes neither)" $((N + 3)) \
		"$(total thanos_fcgi_requests_total)"
	check "$1: upstream attempts timed" $((N + 3)) \
		"$(series thanos_fcgi_upstream_duration_seconds_count)"
	check "$1: live processes" "$2" "$(series thanos_fcgi_processes)"
	check "$1: nothing in flight" 0 "$(series thanos_fcgi_requests_in_flight)"
}

# prom PATH: Prometheus's API answer; pjson EXPR: EXPR on it (as d).
prom() { ucurl "http://127.0.0.1:$PROM_PORT$1"; }
pjson() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>/dev/null; }

# prom_value EXPR: the value of an instant query (one series), "" none.
prom_value() {
	prom "/api/v1/query?query=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")" |
		pjson '",".join(r["value"][1] for r in d["data"]["result"])'
}

# wait_target: until the thanos-fcgi target's health is "up" (a scrape
# parsed), at most SCRAPE_WAIT seconds.  Prints the health and last error.
wait_target() {
	local end=$(($(date +%s) + SCRAPE_WAIT)) t=""
	while [ "$(date +%s)" -le "$end" ]; do
		t=$(prom /api/v1/targets | pjson '[(x["health"], x["lastError"]) for x in d["data"]["activeTargets"]]')
		case $t in *"('up', '')"*) break ;; esac
		sleep 0.2
	done
	echo "$t"
}

start_scraper() {
	local dir="$TMPD/prometheus"
	PROM_PORT=$(free_port)
	mkdir -p "$dir"
	cat >"$dir/prometheus.yml" <<EOC
global:
  scrape_interval: ${SCRAPE_S}s
scrape_configs:
  - job_name: thanos-fcgi
    metrics_path: /thanos$MP
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOC
	spawn prometheus prometheus --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/data" --web.listen-address="127.0.0.1:$PROM_PORT"
	wait_http "http://127.0.0.1:$PROM_PORT/-/ready" || fail "prometheus did not start"
}

echo "# three --listen processes behind one nginx upstream block"
ADDRS=()
for i in 1 2 3; do
	p=$(free_port)
	spawn "adapter$i" "$THANOS_FCGI_BIN" --listen "127.0.0.1:$p" --upstream "$UP" \
		--web.route-prefix /thanos --web.metrics-path "$MP" --metrics.file "$TMPD/listen.metrics"
	wait_port "$p" || fail "adapter $i did not listen on $p"
	ADDRS+=("127.0.0.1:$p")
done
front_up "${ADDRS[@]}"
traffic "--listen x3"
check_scrape "--listen x3" 3
conns=$(grep '^mock: conn [0-9]* "' "$TMPD/mock_$MOCK_PORT.log" | cut -d' ' -f3 | sort -u | wc -l)
check_between "--listen x3: the requests came over several adapters' upstream connections" 2 3 "$conns"

echo "# Prometheus scrapes the metrics path through nginx"
start_scraper
health=$(wait_target)
check "prometheus: the target is up, its text parsed" "[('up', '')]" "$health"
check "prometheus: thanos_fcgi_requests_total of GET 200" "$N" \
	"$(prom_value 'thanos_fcgi_requests_total{code="200",method="GET"}')"
check "prometheus: sum of thanos_fcgi_requests_total" $((N + 3)) \
	"$(prom_value 'sum(thanos_fcgi_requests_total)')"
check "prometheus: processes" 3 "$(prom_value thanos_fcgi_processes)"
check "prometheus: the histogram's count" $((N + 3)) \
	"$(prom_value 'thanos_fcgi_upstream_duration_seconds_count')"
check "prometheus: the mock replica up" 1 "$(prom_value "thanos_fcgi_upstream_up{upstream=\"$UP\"}")"
front_down
for i in 1 2 3; do eval "kill \$PID_adapter$i"; done

echo "# spawn-fcgi -F 3, one socket, one file"
SOCK="$TMPD/spawn.sock"
spawn-fcgi -F 3 -s "$SOCK" -P "$TMPD/spawn.pids" -- "$THANOS_FCGI_BIN" --upstream "$UP" \
	--web.route-prefix /thanos --web.metrics-path "$MP" --metrics.file "$TMPD/spawn.metrics" \
	>"$TMPD/spawn-fcgi.log" 2>&1
for p in $(cat "$TMPD/spawn.pids"); do track "$p"; done
check "spawn-fcgi: three processes" 3 "$(wc -w <"$TMPD/spawn.pids" | tr -d ' ')"
front_up "unix:$SOCK"
traffic "spawn-fcgi -F 3"
check_scrape "spawn-fcgi -F 3" 3
victim=$(head -n 1 "$TMPD/spawn.pids")
kill -9 "$victim"
i=0
while kill -0 "$victim" 2>/dev/null && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
check_scrape "spawn-fcgi, one process killed: its counts stay" 2
front_down
finish
