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
MAX_REQUEST_LEN=$(sed -n 's/^FcgidMaxRequestLen  *\([0-9]*\).*/\1/p' "$D/thanos-fcgi.conf")

start_apache_upstreams
start_prometheus "$PORT" /monitoring/prometheus || finish
PROM_MP=$PROM_PORT
apache_state fcgid

echo "# mod_fcgid at /thanos, FcgidInitialEnv: prometheus"
apache_case_prometheus "$D/thanos-fcgi.conf" "apache fcgid /thanos"

echo "# mod_fcgid at /thanos, FcgidInitialEnv: mock R=/thanos"
L="apache fcgid /thanos, mock"
apache_case_mock "$D/thanos-fcgi.conf" "$L"
check "$L: FcgidMaxRequestLen is read from the deploy file" 1048576 "$MAX_REQUEST_LEN"
check_body_limit "$L" "$F/thanos/-/echo" "${MAX_REQUEST_LEN:-131072}" 500
apache_mock_extras "$L"

echo "# mod_fcgid at /thanos, FcgidInitialEnv: mock in prefix-header mode, R=/"
apache_case_mock_root "$D/thanos-fcgi.conf" "apache fcgid /thanos, mock R=/ with prefix header"

echo "# mod_fcgid at /thanos: dead upstream"
apache_case_dead "$D/thanos-fcgi.conf" "apache fcgid /thanos"

echo "# mod_fcgid, one program at two mounts, settings per request (SetEnv)"
apache_up "$D/httpd.conf" "$D/thanos-fcgi-mounts.conf" THANOS_UPSTREAM="http://127.0.0.1:$MOCK_T" PROM_UPSTREAM="http://127.0.0.1:$PROM_MP"
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_T/thanos" mock "apache fcgid mounts /thanos, mock"
run_suite "$F" /monitoring/prometheus "http://127.0.0.1:$PROM_MP/thanos" prometheus "apache fcgid mounts /monitoring/prometheus, prometheus"
check_echo_headers "apache fcgid mounts /thanos, mock" "$F" /thanos
check_apache_log "apache fcgid mounts"
apache_down

finish
