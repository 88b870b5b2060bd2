#!/bin/bash
# tests/e2e/read_only.sh: the read-only gate against a real Prometheus
# (Debian's, --web.enable-lifecycle --web.enable-admin-api
# --web.enable-remote-write-receiver), through nginx and one thanos-fcgi
# --listen with deploy/nginx/thanos-fcgi-location-read-only.conf: the
# public mount /thanos is read-only (THANOS_FCGI_READ_ONLY), the full one
# /thanos-admin is not.
#   - /thanos: every state-changing endpoint (lifecycle, admin API, remote
#     write, and remote read, refused by choice), by PUT, POST or DELETE
#     and spelled otherwise, is 403; none reached Prometheus (its own
#     request counters), it still runs and made no snapshot; the reads
#     (GET and form-POST queries, series, labels, ...) work.
#   - /thanos-admin: the same requests reach Prometheus (the snapshot is
#     made, /-/reload is 200, ...), and PUT /-/quit stops it: proof that
#     the checks above could fail.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"
need nginx prometheus curl python3
need_adapter

start_prometheus "$(free_port)" /thanos /thanos --web.enable-lifecycle --web.enable-admin-api \
	--web.enable-remote-write-receiver || finish
eval "PROM_PID=\$PID_prometheus_$PROM_PORT"
SNAPS="$TMPD/prometheus-$PROM_PORT/data/snapshots"
DIRECT="http://127.0.0.1:$PROM_PORT/thanos"
start_socket_adapter --upstream "http://127.0.0.1:$PROM_PORT" --web.route-prefix /thanos --upstream.root-path=
nginx_front_up ro "unix:$SOCK" thanos-fcgi-location-read-only.conf "" FULL_MOUNT=/thanos-admin ALLOW=127.0.0.1 || finish
RO="http://127.0.0.1:$PORT_ro/thanos"
FULL="http://127.0.0.1:$PORT_ro/thanos-admin"

# The state-changing requests: METHOD SUB-PATH, as Prometheus 2.42 routes
# them (web/web.go, web/api/v1/api.go), then other spellings of them.
CHANGES="PUT /-/quit
POST /-/quit
PUT /-/reload
POST /-/reload
POST /api/v1/admin/tsdb/snapshot
PUT /api/v1/admin/tsdb/snapshot
POST /api/v1/admin/tsdb/delete_series?match[]=up
PUT /api/v1/admin/tsdb/delete_series?match[]=up
DELETE /api/v1/admin/tsdb/delete_series?match[]=up
POST /api/v1/admin/tsdb/clean_tombstones
PUT /api/v1/admin/tsdb/clean_tombstones
POST /api/v1/write
POST /api/v1/read"
SPELLED="POST /api/v1/%61dmin/tsdb/snapshot
POST /api/v1/admin/tsdb/snapshot/
POST /api/v1/ADMIN/tsdb/snapshot
POST /-/QUIT
POST /-/%71uit
PATCH /-/reload"

# changed_handlers: requests Prometheus counted at the lifecycle, admin,
# write and read handlers (prometheus_http_requests_total, asked directly).
changed_handlers() {
	ucurl "$DIRECT/metrics" | awk '/^prometheus_http_requests_total\{/ &&
		/handler="[^"]*(\/-\/quit|\/-\/reload|\/api\/v1\/admin\/|\/api\/v1\/write|\/api\/v1\/read)/ { n += $NF }
		END { print n + 0 }'
}

# send BASE METHOD SUB-PATH: the status (a small body, as a client would).
send() { fetch ch "$1$3" -X "$2" -H 'Content-Type: application/x-protobuf' --data-binary 'x'; }

echo "# the read-only mount /thanos refuses every change"
while read -r m p; do
	check "read-only: $m $p is 403" 403 "$(send "$RO" "$m" "$p")"
done <<<"$CHANGES
$SPELLED"
send "$RO" POST /api/v1/admin/tsdb/snapshot >/dev/null
check_match "read-only: the 403 says why" '^thanos-fcgi: read-only: POST refused here' "$(short "$TMPD/ch.b")"
check "read-only: none of them reached Prometheus (its request counters)" 0 "$(changed_handlers)"
check "read-only: Prometheus still runs" alive "$(kill -0 "$PROM_PID" 2>/dev/null && echo alive || echo gone)"
check "read-only: Prometheus still answers /-/healthy" 200 "$(fetch h "$DIRECT/-/healthy")"
check "read-only: no snapshot was made" 0 "$(find "$SNAPS" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"

echo "# the read-only mount /thanos still reads"
read_ok() { # DESC SUB-PATH [CURL ARGS...]: 200 and a JSON success
	local desc=$1 p=$2 st
	shift 2
	st=$(fetch rd "$RO$p" "$@")
	check_match "read-only: $desc works" '^200 \{"status":"success"' "$st $(short "$TMPD/rd.b")"
}
read_ok "GET query" "/api/v1/query?query=up"
read_ok "form-POST query" /api/v1/query --data-urlencode query=up
read_ok "form-POST query_range" /api/v1/query_range --data-urlencode query=up \
	--data-urlencode "start=$(($(date +%s) - 60))" --data-urlencode "end=$(date +%s)" --data-urlencode step=15
read_ok "GET series" /api/v1/series -G --data-urlencode 'match[]=up'
read_ok "form-POST series" /api/v1/series --data-urlencode 'match[]=up'
read_ok "GET labels" /api/v1/labels
read_ok "form-POST labels" /api/v1/labels --data-urlencode 'match[]=up'
read_ok "GET label values" /api/v1/label/job/values
read_ok "form-POST query_exemplars" /api/v1/query_exemplars --data-urlencode query=up
read_ok "form-POST format_query" /api/v1/format_query --data-urlencode 'query=sum(up)by(job)'
read_ok "GET metadata" /api/v1/metadata
read_ok "GET targets" /api/v1/targets
read_ok "GET rules" /api/v1/rules
read_ok "GET status/buildinfo" /api/v1/status/buildinfo
check "read-only: the UI page loads (redirects followed)" 200 "$(fetch ui "$RO/graph" -L)"
check "read-only: HEAD on /-/ready" 200 "$(fetch ui "$RO/-/ready" -I)"

echo "# the full mount /thanos-admin lets the same requests through"
check "full: POST snapshot is Prometheus's 200" 200 "$(send "$FULL" POST /api/v1/admin/tsdb/snapshot)"
check "full: the snapshot directory appeared" 1 "$(find "$SNAPS" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
check "full: POST /-/reload is Prometheus's 200" 200 "$(send "$FULL" POST /-/reload)"
check "full: POST delete_series is Prometheus's 204" 204 "$(send "$FULL" POST '/api/v1/admin/tsdb/delete_series?match[]=no_such_metric')"
check "full: PUT clean_tombstones is Prometheus's 204" 204 "$(send "$FULL" PUT /api/v1/admin/tsdb/clean_tombstones)"
check_match "full: POST /api/v1/write reaches the receiver (its 400 on a bad body)" '^400 .*snappy' \
	"$(send "$FULL" POST /api/v1/write) $(short "$TMPD/ch.b")"
check "full: Prometheus counted those requests" yes "$([ "$(changed_handlers)" -ge 5 ] && echo yes || changed_handlers)"
# Prometheus answers 200 as it quits, or closes first (the adapter's 502
# on a reset): either way the request reached it, which the stop proves.
check_match "full: PUT /-/quit reaches Prometheus (its 200, or its reset as it quits)" \
	'^(200|502)$' "$(send "$FULL" PUT /-/quit)"
for _ in $(seq 1 200); do kill -0 "$PROM_PID" 2>/dev/null || break; sleep 0.05; done
check "full: then Prometheus has stopped" gone "$(kill -0 "$PROM_PID" 2>/dev/null && echo alive || echo gone)"

finish
