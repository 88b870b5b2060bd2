#!/bin/bash
# tests/e2e/apache_fcgid.sh: thanos-fcgi behind Apache + mod_fcgid, with the
# files of deploy/apache-fcgid/ as they are (only @PLACEHOLDERS@ filled in):
#   thanos-fcgi.conf at /thanos, settings by FcgidInitialEnv, against
#     - a real Prometheus (route prefix /thanos, external URL at /thanos),
#     - the mock Thanos with R = /thanos,
#     - the mock Thanos in prefix-header mode with R = / (E = /thanos != R),
#     - a dead upstream (502);
#     plus: Authorization reaches the upstream (CGIPassAuth On), a POST of
#     FcgidMaxRequestLen bytes arrives whole and one byte more gets Apache's
#     500, a slow answer is streamed (FcgidOutputBufferSize 0), a chunked
#     POST arrives whole;
#   thanos-fcgi-mounts.conf: one program, two mounts, settings per request
#     by SetEnv: the mock at /thanos and a Prometheus at the two-level
#     /monitoring/prometheus.

. "$(cd "$(dirname "$0")" && pwd)/apache_common.sh"
need prometheus
need_apache_module mpm_event authz_core mime alias env dir setenvif fcgid

D="$top_srcdir/deploy/apache-fcgid"
THANOS_ROOTS=/metrics,/-/healthy,/-/ready
MAX_REQUEST_LEN=$(sed -n 's/^FcgidMaxRequestLen  *\([0-9]*\).*/\1/p' "$D/thanos-fcgi.conf")

start_prometheus "$PORT" /thanos || finish
PROM_T=$PROM_PORT
start_prometheus "$PORT" /monitoring/prometheus || finish
PROM_MP=$PROM_PORT
start_mock --route-prefix /thanos --prefix-header X-Forwarded-Prefix || finish
MOCK_T=$MOCK_PORT
start_mock --prefix-header X-Forwarded-Prefix || finish
MOCK_ROOT=$MOCK_PORT

apache_state fcgid

echo "# mod_fcgid at /thanos, FcgidInitialEnv: prometheus"
apache_up "$D/httpd.conf" "$D/thanos-fcgi.conf" UPSTREAM="http://127.0.0.1:$PROM_T" ROUTE_PREFIX=/thanos ROOT_PATHS=
run_suite "$F" /thanos "http://127.0.0.1:$PROM_T/thanos" prometheus "apache fcgid /thanos, prometheus"
check_apache_log "apache fcgid /thanos, prometheus"
apache_down

echo "# mod_fcgid at /thanos, FcgidInitialEnv: mock R=/thanos"
apache_up "$D/httpd.conf" "$D/thanos-fcgi.conf" UPSTREAM="http://127.0.0.1:$MOCK_T" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
L="apache fcgid /thanos, mock"
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_T/thanos" mock "$L"
check_echo_headers "$L" "$F" /thanos
check "$L: FcgidMaxRequestLen is read from the deploy file" 1048576 "$MAX_REQUEST_LEN"
check_body_limit "$L" "$F/thanos/-/echo" "${MAX_REQUEST_LEN:-131072}" 500
check_streaming "$L" "$F" /thanos
check_chunked_post "$L" "$F/thanos/-/echo"
check "$L: /metrics goes to the upstream's root" 200 "$(fetch m "$F/thanos/metrics")"
check_match "$L: /metrics is the upstream's" '^# HELP mock_up' "$(short "$TMPD/m.b")"
check_apache_log "$L"
apache_down

echo "# mod_fcgid at /thanos, FcgidInitialEnv: mock in prefix-header mode, R=/"
apache_up "$D/httpd.conf" "$D/thanos-fcgi.conf" UPSTREAM="http://127.0.0.1:$MOCK_ROOT" ROUTE_PREFIX=/ ROOT_PATHS="$THANOS_ROOTS"
L="apache fcgid /thanos, mock R=/ with prefix header"
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_ROOT" mock "$L"
check_echo_headers "$L" "$F" /thanos
check_apache_log "$L"
apache_down

echo "# mod_fcgid at /thanos: dead upstream"
apache_up "$D/httpd.conf" "$D/thanos-fcgi.conf" UPSTREAM="$DEAD_UPSTREAM" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
check_dead_upstream "apache fcgid /thanos" "$F/thanos/api/v1/query?query=up"
check_match "apache fcgid /thanos: the 502 is in Apache's error log" "127\\.0\\.0\\.1:$DEAD_PORT" "$(apache_log_tail 5)"
apache_down

echo "# mod_fcgid, one program at two mounts, settings per request (SetEnv)"
apache_up "$D/httpd.conf" "$D/thanos-fcgi-mounts.conf" THANOS_UPSTREAM="http://127.0.0.1:$MOCK_T" PROM_UPSTREAM="http://127.0.0.1:$PROM_MP"
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_T/thanos" mock "apache fcgid mounts /thanos, mock"
run_suite "$F" /monitoring/prometheus "http://127.0.0.1:$PROM_MP/thanos" prometheus "apache fcgid mounts /monitoring/prometheus, prometheus"
check_echo_headers "apache fcgid mounts /thanos, mock" "$F" /thanos
check_apache_log "apache fcgid mounts"
apache_down

finish
