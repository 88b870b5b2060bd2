#!/bin/bash
# tests/integration/tenant.sh: who may see what, as CGI and on --listen,
# against the mock Thanos (its /-/echo shows the headers that arrived):
# the tenant from REMOTE_USER (and --tenant.map, re-read when it changes),
# a client's forged tenant header never passed, no login refused (403);
# the read-only gate and --web.deny-path; the same per mount as request
# parameters.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
need python3

mock main --route-prefix /thanos
UP_MAIN="http://127.0.0.1:$MOCK_main"
MAP="$TMPD/tenants"
printf '# logins\nalice team-a\nbob team-b\n' >"$MAP"

# The mock's request count does not move: nothing went upstream.
refused() { # DESC NAME METHOD SUBPATH [VAR=VAL...]
	local desc=$1 before
	shift
	before=$(mock_requests main)
	req "$1" "$2" /thanos "$3" "${@:4}"
	check_status "$desc" 403
	check "$desc: nothing reached the upstream" "$before" "$(mock_requests main)"
}

t_tenant() {
	req T GET /thanos /-/echo REMOTE_USER=alice
	check "alice: her own tenant" alice "$(echo_h Thanos-Tenant)"
	req T GET /thanos /-/echo REMOTE_USER=bob HTTP_THANOS_TENANT=evil
	check "bob: his own tenant, the forged one dropped" bob "$(echo_h Thanos-Tenant)"
	refused "no login" T GET /-/echo HTTP_THANOS_TENANT=evil
	check_match "no login: the cause" "no login: tenant header required" "$(rbody)"
	req M GET /thanos /-/echo REMOTE_USER=alice
	check "map: alice's tenant" team-a "$(echo_h Thanos-Tenant)"
	refused "map: a user it does not name, no default" M GET /-/echo REMOTE_USER=mallory
	req OFF GET /thanos /-/echo REMOTE_USER=alice HTTP_THANOS_TENANT=evil
	check "off: the client's header is only a header" evil "$(echo_h Thanos-Tenant)"
}

# The map changes under a running adapter: the answer follows (polled,
# bounded: the file is looked at once a second at most).
t_map_reread() {
	local got="" t0
	printf 'alice team-a\nbob team-b\n* guests\n' >"$MAP.new" && mv "$MAP.new" "$MAP"
	t0=$(now_ms)
	while :; do
		req M GET /thanos /-/echo REMOTE_USER=mallory
		got=$(echo_h Thanos-Tenant)
		[ "$got" = guests ] && break
		# the guard: the file's once-a-second look, by lib.sh's rule
		[ "$(since_ms "$t0")" -gt $(($(guard 1000) * 1000)) ] && break
		sleep 0.05
	done
	check "map re-read: the new default" guests "$got"
	printf 'alice team-a\n' >"$MAP.new" && mv "$MAP.new" "$MAP"
}

t_read_only() {
	refused "read-only: PUT /-/quit" RO PUT /-/quit
	refused "read-only: POST /-/reload" RO POST /-/reload CONTENT_LENGTH=0
	refused "read-only: POST admin snapshot" RO POST /api/v1/admin/tsdb/snapshot CONTENT_LENGTH=0
	refused "read-only: DELETE delete_series" RO DELETE "/api/v1/admin/tsdb/delete_series?match[]=up"
	refused "read-only: POST remote write" RO POST /api/v1/write CONTENT_LENGTH=0
	refused "read-only: an escaped admin path" RO POST /api/v1/%61dmin/tsdb/snapshot CONTENT_LENGTH=0
	printf 'query=up' >"$TMPD/form"
	REQ_BODY="$TMPD/form" req RO POST /thanos /api/v1/query CONTENT_LENGTH=8 \
		CONTENT_TYPE=application/x-www-form-urlencoded
	check_status "read-only: POST /api/v1/query with a form" 200
	req RO GET /thanos "/api/v1/query?query=up"
	check "read-only: GET query" up "$(jget 'd["query"]')"
	refused "deny-path: /api/v1/status/*" RO GET /api/v1/status/flags
	req RO GET /thanos /api/v1/status
	check "deny-path: /api/v1/status not matched, the mock's 404" 404 "$RESP_CODE"
}

run_all() {
	adapter T --upstream "$UP_MAIN" --web.route-prefix /thanos --tenant.header THANOS-TENANT
	adapter M --upstream "$UP_MAIN" --web.route-prefix /thanos --tenant.header THANOS-TENANT \
		--tenant.map "$MAP"
	adapter OFF --upstream "$UP_MAIN" --web.route-prefix /thanos
	adapter RO THANOS_FCGI_READ_ONLY=true --upstream "$UP_MAIN" --web.route-prefix /thanos \
		--web.deny-path '/api/v1/status/*'
	t_tenant
	t_map_reread
	t_read_only
}

MODE=cgi
echo "# CGI"
run_all
MODE=listen
echo "# --listen"
printf '# logins\nalice team-a\nbob team-b\n' >"$MAP"
run_all

# One process, two mounts: the settings as request parameters.
refused "per mount: bob not in the map, no default" OFF GET /-/echo REMOTE_USER=bob \
	THANOS_FCGI_TENANT_HEADER=X-Scope-OrgID THANOS_FCGI_TENANT_MAP="$MAP" HTTP_X_SCOPE_ORGID=evil
req OFF GET /thanos /-/echo REMOTE_USER=alice THANOS_FCGI_TENANT_HEADER=X-Scope-OrgID \
	THANOS_FCGI_TENANT_MAP="$MAP" HTTP_X_SCOPE_ORGID=evil
check "per mount: alice's tenant, the forged one dropped" team-a "$(echo_h X-Scope-OrgID)"
refused "per mount: read-only" OFF PUT /-/quit THANOS_FCGI_READ_ONLY=true
refused "per mount: deny-path" OFF GET /graph THANOS_FCGI_DENY_PATHS=/graph
req OFF PUT /thanos /-/quit
check "the full mount beside it lets PUT /-/quit through (the mock's 404)" 404 "$RESP_CODE"

# A bad map line stops the start with FILE:LINE.
printf 'alice team-a\nbob\n' >"$TMPD/bad.map"
"$THANOS_FCGI_BIN" --tenant.header X --tenant.map "$TMPD/bad.map" --listen 127.0.0.1:1 \
	>/dev/null 2>"$TMPD/bad.err"
check "bad map: exit status 2" 2 "$?"
check_match "bad map: FILE:LINE" "bad.map:2: a user without a tenant" "$(cat "$TMPD/bad.err")"
finish
