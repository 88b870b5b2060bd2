#!/bin/bash
# tests/e2e/apache_cgi.sh: thanos-fcgi as a CGI program behind Apache
# (mpm_event + mod_cgid, Debian's `a2enmod cgi` shape), with the files of
# deploy/apache-cgi/ as they are (only @PLACEHOLDERS@ filled in):
#   thanos-cgi.conf: ScriptAlias /thanos, settings by SetEnv, against
#     - a real Prometheus (route prefix /thanos, external URL at /thanos),
#     - the mock Thanos with R = /thanos,
#     - the mock Thanos in prefix-header mode with R = / (E = /thanos != R),
#     - a dead upstream (502);
#     plus: Authorization reaches the upstream (CGIPassAuth On), a POST of
#     LimitRequestBody bytes arrives whole and one byte more gets Apache's
#     413, a slow answer is streamed, a chunked POST arrives whole;
#   thanos-cgi-passenv.conf: the settings from Apache's own environment
#     (PassEnv), against the mock.

. "$(cd "$(dirname "$0")" && pwd)/apache_common.sh"
need prometheus
need_apache_module mpm_event cgid authz_core mime alias env dir setenvif

D="$top_srcdir/deploy/apache-cgi"
THANOS_ROOTS=/metrics,/-/healthy,/-/ready
LIMIT=$(sed -n 's/^ *LimitRequestBody  *\([0-9]*\).*/\1/p' "$D/thanos-cgi.conf")

start_prometheus "$PORT" /thanos || finish
PROM_T=$PROM_PORT
start_mock --route-prefix /thanos --prefix-header X-Forwarded-Prefix || finish
MOCK_T=$MOCK_PORT
start_mock --prefix-header X-Forwarded-Prefix || finish
MOCK_ROOT=$MOCK_PORT

apache_state cgi

echo "# mod_cgid, ScriptAlias /thanos, SetEnv: prometheus"
apache_up "$D/httpd.conf" "$D/thanos-cgi.conf" UPSTREAM="http://127.0.0.1:$PROM_T" ROUTE_PREFIX=/thanos ROOT_PATHS=
run_suite "$F" /thanos "http://127.0.0.1:$PROM_T/thanos" prometheus "apache cgi /thanos, prometheus"
check_apache_log "apache cgi /thanos, prometheus"
apache_down

echo "# mod_cgid, ScriptAlias /thanos, SetEnv: mock R=/thanos"
apache_up "$D/httpd.conf" "$D/thanos-cgi.conf" UPSTREAM="http://127.0.0.1:$MOCK_T" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
L="apache cgi /thanos, mock"
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_T/thanos" mock "$L"
check_echo_headers "$L" "$F" /thanos
check "$L: LimitRequestBody is read from the deploy file" 16777216 "$LIMIT"
check_body_limit "$L" "$F/thanos/-/echo" "${LIMIT:-16777216}" 413
check_streaming "$L" "$F" /thanos
check_chunked_post "$L" "$F/thanos/-/echo"
check "$L: /metrics goes to the upstream's root" 200 "$(fetch m "$F/thanos/metrics")"
check_match "$L: /metrics is the upstream's" '^# HELP mock_up' "$(short "$TMPD/m.b")"
check_apache_log "$L"
apache_down

echo "# mod_cgid, ScriptAlias /thanos, SetEnv: mock in prefix-header mode, R=/"
apache_up "$D/httpd.conf" "$D/thanos-cgi.conf" UPSTREAM="http://127.0.0.1:$MOCK_ROOT" ROUTE_PREFIX=/ ROOT_PATHS="$THANOS_ROOTS"
L="apache cgi /thanos, mock R=/ with prefix header"
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_ROOT" mock "$L"
check_echo_headers "$L" "$F" /thanos
check_apache_log "$L"
apache_down

echo "# mod_cgid, ScriptAlias /thanos: dead upstream"
apache_up "$D/httpd.conf" "$D/thanos-cgi.conf" UPSTREAM="$DEAD_UPSTREAM" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
check_dead_upstream "apache cgi /thanos" "$F/thanos/api/v1/query?query=up"
check_match "apache cgi /thanos: the 502 is in Apache's error log" "127\\.0\\.0\\.1:$DEAD_PORT" "$(apache_log_tail 5)"
apache_down

echo "# mod_cgid, ScriptAlias /thanos, PassEnv from Apache's environment: mock R=/"
apache_up "$D/httpd.conf" "$D/thanos-cgi-passenv.conf" -- \
	THANOS_FCGI_UPSTREAM="http://127.0.0.1:$MOCK_ROOT" THANOS_FCGI_ROUTE_PREFIX=/ THANOS_FCGI_ROOT_PATHS="$THANOS_ROOTS"
L="apache cgi /thanos PassEnv, mock R=/ with prefix header"
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_ROOT" mock "$L"
check_echo_headers "$L" "$F" /thanos
check_apache_log "$L"
apache_down

finish
