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
LIMIT=$(sed -n 's/^ *LimitRequestBody  *\([0-9]*\).*/\1/p' "$D/thanos-cgi.conf")

start_apache_upstreams
apache_state cgi

echo "# mod_cgid, ScriptAlias /thanos, SetEnv: prometheus"
apache_case_prometheus "$D/thanos-cgi.conf" "apache cgi /thanos"

echo "# mod_cgid, ScriptAlias /thanos, SetEnv: mock R=/thanos"
L="apache cgi /thanos, mock"
apache_case_mock "$D/thanos-cgi.conf" "$L"
check "$L: LimitRequestBody is read from the deploy file" 16777216 "$LIMIT"
check_body_limit "$L" "$F/thanos/-/echo" "${LIMIT:-16777216}" 413
apache_mock_extras "$L"

echo "# mod_cgid, ScriptAlias /thanos, SetEnv: mock in prefix-header mode, R=/"
apache_case_mock_root "$D/thanos-cgi.conf" "apache cgi /thanos, mock R=/ with prefix header"

echo "# mod_cgid, ScriptAlias /thanos: dead upstream"
apache_case_dead "$D/thanos-cgi.conf" "apache cgi /thanos"

echo "# mod_cgid, ScriptAlias /thanos, PassEnv from Apache's environment: mock R=/"
apache_up "$D/httpd.conf" "$D/thanos-cgi-passenv.conf" -- \
	THANOS_FCGI_UPSTREAM="http://127.0.0.1:$MOCK_ROOT" THANOS_FCGI_ROUTE_PREFIX=/ THANOS_FCGI_ROOT_PATHS="$THANOS_ROOTS"
apache_mock_root_checks "apache cgi /thanos PassEnv, mock R=/ with prefix header"

finish
