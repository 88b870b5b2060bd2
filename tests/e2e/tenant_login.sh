#!/bin/bash
# tests/e2e/tenant_login.sh: each login its own tenant, through each real
# web server with its own login and the deploy/ file for it:
#   nginx auth_basic, thanos-fcgi --listen  (nginx/thanos-fcgi-location-tenant.conf)
#   Apache AuthType Basic + mod_fcgid        (apache-fcgid/thanos-fcgi-tenant.conf)
#   lighttpd mod_auth + spawn-fcgi           (lighttpd/50-thanos-fcgi-tenant.conf)
#   shared hosting: .htaccess AuthUserFile, mod_cgi (shared-hosting/htaccess-tenant)
# Users from htpasswd: alice and bob, whom the tenant map names, and carol,
# whom it does not.  Against the mock Thanos, whose /-/echo shows the
# THANOS-TENANT headers that arrived: alice and bob each see their own
# tenant, a client's forged tenant header never arrives (any spelling);
# no login, a wrong password: the server's own 401; carol: the adapter's
# 403; and none of these reached the upstream.

. "$(cd "$(dirname "$0")" && pwd)/apache_common.sh"
need htpasswd nginx lighttpd spawn-fcgi
need_apache_module mpm_event mpm_prefork fcgid cgi rewrite authz_core authz_user \
	authn_core authn_file auth_basic mime alias env dir setenvif

DEP="$top_srcdir/deploy"
start_mock --route-prefix /thanos || finish
UP="http://127.0.0.1:$MOCK_PORT"
MOCK_LOG="$TMPD/mock_$MOCK_PORT.log"

# The password file and the tenant map, where Apache's www-data reads them.
apache_state fcgid
PW="$STATE/htpasswd"
MAP="$STATE/tenants"
: >"$PW"
for u in alice:apass bob:bpass carol:cpass; do
	htpasswd -b -B "$PW" "${u%%:*}" "${u#*:}" >/dev/null 2>&1 || fail "htpasswd ${u%%:*}"
done
printf '# logins and their tenants\nalice team-a\nbob team-b\n' >"$MAP"
chmod 644 "$PW" "$MAP"

# tenants_seen FILE: the THANOS-TENANT values of a /-/echo answer, in
# order, comma-joined ("<none>": none arrived; "<not JSON>").
tenants_seen() {
	python3 - "$1" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print("<not JSON>"); sys.exit(0)
v = [b for a, b in d["header_list"] if a.lower() == "thanos-tenant"]
print(",".join(v) if v else "<none>")
PY
}

# sees DESC WANT CURL_ARGS...: "status tenants" of one /-/echo request.
sees() {
	local desc=$1 want=$2 st
	shift 2
	st=$(fetch lt "$BASE/-/echo" "$@")
	check "$L: $desc" "$want" "$st $(tenants_seen "$TMPD/lt.b")"
}

# refused DESC STATUS CURL_ARGS...: answered STATUS; the request carries a
# probe number that nothing_upstream looks for in the mock's log.
N_PROBE=0
PROBES=""
refused() {
	local desc=$1 want=$2
	shift 2
	N_PROBE=$((N_PROBE + 1))
	check "$L: $desc: $want" "$want" "$(fetch rf "$BASE/-/echo?probe=$N_PROBE" "$@")"
	PROBES="$PROBES $N_PROBE"
	eval "PROBE_$N_PROBE=\$desc"
}

# nothing_upstream: once a later request has reached the mock (its log is in
# order), no probe of refused did.
nothing_upstream() {
	local p
	N_PROBE=$((N_PROBE + 1))
	fetch lt "$BASE/-/echo?marker=$N_PROBE" -u alice:apass >/dev/null
	log_count "$MOCK_LOG" "marker=$N_PROBE " 1 10 >/dev/null
	for p in $PROBES; do
		eval "check \"\$L: \$PROBE_$p: nothing reached the upstream\" 0 \"\$(grep -c 'probe=$p ' \"\$MOCK_LOG\")\""
	done
	[ "$(grep -c "marker=$N_PROBE " "$MOCK_LOG")" = 1 ] || fail "$L: the marker request did not reach the mock"
	PROBES=""
}

# neighbours: paths the server's prefix match may also hand the adapter
# (/thanosX, /thanos-x): carol is never served, alice only with her tenant.
neighbours() {
	local nb st
	for nb in X -x; do
		st=$(fetch lt "$BASE$nb/-/echo" -u alice:apass)
		check_match "$L: alice at ${BASE##*/}$nb: her tenant or not served" \
			'^(200 team-a|[345][0-9][0-9] .*)$' "$st $(tenants_seen "$TMPD/lt.b")"
		check_match "$L: carol at ${BASE##*/}$nb: not served" '^[345][0-9][0-9]$' \
			"$(fetch lt "$BASE$nb/-/echo" -u carol:cpass)"
	done
}

# check_logins LABEL BASE_URL: the cases through one server at BASE_URL.
check_logins() {
	L=$1
	BASE=$2
	sees "alice sees her tenant" "200 team-a" -u alice:apass
	sees "bob sees his tenant" "200 team-b" -u bob:bpass
	sees "bob's forged THANOS-TENANT never arrives" "200 team-b" -u bob:bpass -H 'THANOS-TENANT: team-a'
	sees "alice's forged thanos-tenant and Thanos_Tenant never arrive" "200 team-a" \
		-u alice:apass -H 'thanos-tenant: team-b' -H 'Thanos_Tenant: team-b'
	refused "no login, a forged tenant header" 401 -H 'THANOS-TENANT: team-a'
	check_match "$L: the 401 is the server's login prompt" '^Basic realm="Thanos"' "$(hdr WWW-Authenticate "$TMPD/rf.h")"
	refused "a wrong password" 401 -u alice:bpass
	refused "carol, a login the map does not name" 403 -u carol:cpass
	check_match "$L: carol's 403 is the adapter's" 'no tenant for this login' "$(short "$TMPD/rf.b")"
	neighbours
	nothing_upstream
}

echo "# nginx auth_basic, thanos-fcgi --listen"
start_socket_adapter --upstream "$UP" --web.route-prefix /thanos
nginx_front_up ngx "unix:$SOCK" thanos-fcgi-location-tenant.conf "" HTPASSWD="$PW" TENANT_MAP="$MAP" &&
	check_logins "nginx auth_basic" "http://127.0.0.1:$PORT_ngx/thanos"

echo "# Apache AuthType Basic, mod_fcgid"
apache_up "$DEP/apache-fcgid/httpd.conf" "$DEP/apache-fcgid/thanos-fcgi-tenant.conf" UPSTREAM="$UP" \
	ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS" HTPASSWD="$PW" TENANT_MAP="$MAP" &&
	check_logins "apache mod_fcgid" "$F/thanos"
check_apache_log "apache mod_fcgid"
apache_down

echo "# lighttpd mod_auth, spawn-fcgi"
LSOCK="$TMPD/lighttpd-spawn.sock"
spawn spawnfcgi spawn-fcgi -n -s "$LSOCK" -M 0660 -- "$THANOS_FCGI_BIN" --upstream "$UP" \
	--web.route-prefix /thanos --tenant.header THANOS-TENANT --tenant.map "$MAP"
wait_file "$LSOCK" || fail "spawn-fcgi did not create $LSOCK"
LPORT=$(free_port)
lighttpd_up "$TMPD/lighttpd" "$LPORT" 50-thanos-fcgi-tenant.conf SOCKET="$LSOCK" HTPASSWD="$PW" &&
	check_logins "lighttpd mod_auth" "http://127.0.0.1:$LPORT/thanos"
lighttpd_down "$LPORT"

echo "# shared hosting: .htaccess with AuthUserFile, mod_cgi"
apache_state hosting
SITE="$STATE/htdocs/thanos"
mkdir -p "$SITE" && install -m 755 "$THANOS_FCGI_BIN" "$SITE/thanos.cgi"
render "$DEP/shared-hosting/htaccess" "$TMPD/ht.1" UPSTREAM="$UP" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS" &&
	render "$DEP/shared-hosting/htaccess-tenant" "$TMPD/ht.2" HTPASSWD="$PW" TENANT_MAP="$MAP" &&
	cat "$TMPD/ht.1" "$TMPD/ht.2" >"$SITE/.htaccess" || fail "render the .htaccess"
apache_up "$DEP/shared-hosting/httpd.conf" && check_logins "shared hosting" "$F/thanos"
check_apache_log "shared hosting"
apache_down

finish
