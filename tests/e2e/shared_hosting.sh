#!/bin/bash
# tests/e2e/shared_hosting.sh: thanos-fcgi on "shared hosting": an Apache
# (prefork + mod_cgi) whose configuration knows nothing of thanos-fcgi
# (deploy/shared-hosting/httpd.conf: usual modules, mod_cgi, mod_rewrite,
# AllowOverride All), and a customer directory holding the program as
# thanos.cgi plus deploy/shared-hosting/htaccess as .htaccess.  Three such
# directories: /thanos, the two-level /hosting/thanos and an account's
# /~alice/thanos (mod_userdir).  .htaccess files are read per request, so
# the upstreams change without a restart.
#   - a real Prometheus behind each (route prefix /thanos, external URL at
#     the directory's URL);
#   - the mock Thanos with R = /thanos at /thanos and at /~alice/thanos, and
#     in prefix-header mode with R = / at /hosting/thanos (E != R at both);
#   - a dead upstream (502);
#   - Authorization reaches the upstream (CGIPassAuth On in .htaccess);
#     htaccess-auth appended: 401 without a password, 200 with one;
#   - decoded ?, # and % in a path survive the rewrite (the B= flag), a large
#     POST and a chunked one arrive whole, a slow answer is streamed.
# %2F in a path cannot work here: Apache answers it with its own 404 before
# any .htaccess is read, and AllowEncodedSlashes is server config only.  The
# suite's one %2F-in-a-path assertion is replaced by one that asserts that
# documented limit (a printed note says so); %2F in query strings is tested.

. "$(cd "$(dirname "$0")" && pwd)/apache_common.sh"
need prometheus htpasswd
need_apache_module mpm_prefork cgi rewrite userdir authz_core authz_host authz_user authn_core authn_file auth_basic mime alias env dir setenvif

D="$top_srcdir/deploy/shared-hosting"
THANOS_ROOTS=/metrics,/-/healthy,/-/ready

start_prometheus "$PORT" /thanos || finish
PROM_T=$PROM_PORT
start_prometheus "$PORT" /hosting/thanos || finish
PROM_HT=$PROM_PORT
start_mock --route-prefix /thanos --prefix-header X-Forwarded-Prefix || finish
MOCK_T=$MOCK_PORT
start_mock --prefix-header X-Forwarded-Prefix || finish
MOCK_ROOT=$MOCK_PORT

# run_suite, with its %2F-in-a-path assertions (suite_encoding) replaced by
# shared_encoding below while SHARED_HOSTING_2F_NOTE is set.
for f in run_suite suite_encoding; do
	declare -F "$f" >/dev/null || { fail "common.sh has no $f: shared_hosting.sh needs updating"; finish; }
done
eval "$(declare -f suite_encoding | sed '1s/^suite_encoding/suite_encoding_common/')"
suite_encoding() {
	if [ -n "${SHARED_HOSTING_2F_NOTE:-}" ]; then shared_encoding; else suite_encoding_common; fi
}

shared_encoding() {
	local st dst name
	echo "# note: $L: %2F in a path is not sent to thanos.cgi: Apache answers it itself (AllowEncodedSlashes is server config only, not .htaccess); asserting that limit instead"
	st=$(fetch lv "$FRONT$P/api/v1/label/a%2Fb/values")
	check_match "$L: %2F in a path gets Apache's own 404 (documented shared-hosting limit)" '^404 .*<title>404 Not Found</title>' "$st $(short "$TMPD/lv.b")"
	if [ "$KIND" = mock ]; then
		# %23 (#), %3F (?), %25 (%): decoded in $1, re-escaped by [B=?#%]
		for name in 'caf%C3%A9%20x%3Fy' '%25%2e%41' 'a%23b%3Fc%25d'; do
			st=$(fetch lv "$FRONT$P/api/v1/label/$name/values?x=1")
			check_match "$L: label name $name reaches the upstream as sent" "\"name_raw\":\"$name\"" "$st $(short "$TMPD/lv.b")"
			dst=$(fetch lvd "$DIRECT/api/v1/label/$name/values?x=1")
			check "$L: label $name values answer like the upstream" "$dst $(sha "$TMPD/lvd.b")" "$st $(sha "$TMPD/lv.b")"
		done
		st=$(fetch echo "$FRONT$P/-/echo?x=a%2Fb%20c%26d&y=%C3%A9+z")
		check_match "$L: query string reaches the upstream as sent" '"query":"x=a%2Fb%20c%26d&y=%C3%A9\+z"' "$st $(short "$TMPD/echo.b")"
		check_match "$L: path reaches the upstream under R" "\"path\":\"${R}/-/echo\"" "$(short "$TMPD/echo.b")"
	else
		st=$(fetch lv "$FRONT$P/api/v1/label/__name__/values")
		dst=$(fetch lvd "$DIRECT/api/v1/label/__name__/values")
		check "$L: /api/v1/label/__name__/values status" "$dst" "$st"
		check "$L: /api/v1/label/__name__/values lists up" yes "$(grep -q '"up"' "$TMPD/lv.b" && echo yes || short "$TMPD/lv.b")"
		st=$(fetch lv "$FRONT$P/api/v1/label/caf%C3%A9%20x%3Fy/values")
		dst=$(fetch lvd "$DIRECT/api/v1/label/caf%C3%A9%20x%3Fy/values")
		check "$L: /api/v1/label/caf%C3%A9%20x%3Fy/values answers like the upstream" "$dst $(sha "$TMPD/lvd.b")" "$st $(sha "$TMPD/lv.b")"
		st=$(fetch lv "$FRONT$P/api/v1/series" -G --data-urlencode 'match[]=up{job="café x/y"}')
		dst=$(fetch lvd "$DIRECT/api/v1/series" -G --data-urlencode 'match[]=up{job="café x/y"}')
		check "$L: series with an encoded matcher answers like the upstream" "$dst $(sha "$TMPD/lvd.b")" "$st $(sha "$TMPD/lv.b")"
	fi
}
SHARED_HOSTING_2F_NOTE=1

apache_state hosting
SITE_T="$STATE/htdocs/thanos"
SITE_HT="$STATE/htdocs/hosting/thanos"
SITE_U="$STATE/home/alice/public_html/thanos"

# THANOS_FCGI_RELEASE=FILE: the customer uploads exactly that release file
# (make static's thanos-fcgi-VERSION-linux-ARCH) as thanos.cgi, after
# checking it against its .sha256 as the README says; without it, the
# binary under test.
UPLOAD=$THANOS_FCGI_BIN
if [ -n "${THANOS_FCGI_RELEASE:-}" ]; then
	UPLOAD=$THANOS_FCGI_RELEASE
	echo "# shared hosting: uploading the release file $UPLOAD"
	check "release file: sha256sum -c of its .sha256" "$(basename "$UPLOAD"): OK" \
		"$(cd "$(dirname "$UPLOAD")" && sha256sum -c "$(basename "$UPLOAD").sha256" 2>&1)"
	check "release file: fully static (no interpreter, no dynamic section)" 0 \
		"$(readelf -l "$UPLOAD" | grep -c 'INTERP\|DYNAMIC')"
fi

# site DIR KEY=VALUE...: the customer's upload: thanos.cgi and .htaccess.
site() {
	local dir=$1
	shift
	mkdir -p "$dir"
	cp "$UPLOAD" "$dir/thanos.cgi"
	chmod 755 "$dir" "$dir/thanos.cgi"
	render "$D/htaccess" "$dir/.htaccess.new" "$@" || { fail "render htaccess"; return 1; }
	chmod 644 "$dir/.htaccess.new"
	mv "$dir/.htaccess.new" "$dir/.htaccess"
}

site "$SITE_T" UPSTREAM="http://127.0.0.1:$PROM_T" ROUTE_PREFIX=/thanos ROOT_PATHS=
site "$SITE_HT" UPSTREAM="http://127.0.0.1:$PROM_HT" ROUTE_PREFIX=/thanos ROOT_PATHS=
site "$SITE_U" UPSTREAM="http://127.0.0.1:$MOCK_T" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
apache_up "$D/httpd.conf"
check "the uploaded thanos.cgi is $(basename "$UPLOAD") byte for byte" same \
	"$(cmp -s "$UPLOAD" "$SITE_T/thanos.cgi" && echo same || echo differs)"

echo "# shared hosting, prometheus at /thanos and /hosting/thanos"
run_suite "$F" /thanos "http://127.0.0.1:$PROM_T/thanos" prometheus "shared hosting /thanos, prometheus"
run_suite "$F" /hosting/thanos "http://127.0.0.1:$PROM_HT/thanos" prometheus "shared hosting /hosting/thanos, prometheus"
check_apache_log "shared hosting, prometheus"

echo "# shared hosting, mock R=/thanos at /thanos, mock R=/ (prefix header) at /hosting/thanos"
site "$SITE_T" UPSTREAM="http://127.0.0.1:$MOCK_T" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
site "$SITE_HT" UPSTREAM="http://127.0.0.1:$MOCK_ROOT" ROUTE_PREFIX=/ ROOT_PATHS="$THANOS_ROOTS"
L="shared hosting /thanos, mock"
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_T/thanos" mock "$L"
check_echo_headers "$L" "$F" /thanos
check_streaming "$L" "$F" /thanos
check_chunked_post "$L" "$F/thanos/-/echo"
head -c 3000000 /dev/urandom >"$TMPD/big.bin"
st=$(fetch big "$F/thanos/-/echo" -H 'Content-Type: application/octet-stream' --data-binary "@$TMPD/big.bin")
check_match "$L: a 3 MB POST arrives whole" "^200 .*\"body_len\":3000000,\"body_sha256\":\"$(sha "$TMPD/big.bin")\"" "$st $(cat "$TMPD/big.b")"
check "$L: /metrics goes to the upstream's root" 200 "$(fetch m "$F/thanos/metrics")"
check_match "$L: /metrics is the upstream's" '^# HELP mock_up' "$(short "$TMPD/m.b")"
check "$L: the .htaccess itself is not served" 403 "$(fetch ht "$F/thanos/.htaccess")"
L="shared hosting /hosting/thanos, mock R=/ with prefix header"
run_suite "$F" /hosting/thanos "http://127.0.0.1:$MOCK_ROOT" mock "$L"
check_echo_headers "$L" "$F" /hosting/thanos
L="shared hosting /~alice/thanos (mod_userdir), mock"
run_suite "$F" /~alice/thanos "http://127.0.0.1:$MOCK_T/thanos" mock "$L"
check_echo_headers "$L" "$F" /~alice/thanos
check_apache_log "shared hosting, mock"

echo "# shared hosting: dead upstream"
site "$SITE_T" UPSTREAM="$DEAD_UPSTREAM" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
check_dead_upstream "shared hosting /thanos" "$F/thanos/api/v1/query?query=up"

echo "# shared hosting: basic auth from htaccess-auth"
site "$SITE_T" UPSTREAM="http://127.0.0.1:$MOCK_T" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
htpasswd -c -b -B "$STATE/htpasswd" user pass >/dev/null 2>&1 || fail "htpasswd failed"
chmod 644 "$STATE/htpasswd"
render "$D/htaccess-auth" "$TMPD/auth.part" HTPASSWD="$STATE/htpasswd" || fail "render htaccess-auth"
cat "$TMPD/auth.part" >>"$SITE_T/.htaccess"
L="shared hosting /thanos, basic auth"
check "$L: no password, 401" 401 "$(fetch auth "$F/thanos/graph")"
check "$L: wrong password, 401" 401 "$(fetch auth "$F/thanos/graph" -u user:wrong)"
check "$L: right password, UI page" 200 "$(fetch auth "$F/thanos/graph" -u user:pass)"
check "$L: right password, redirect from the bare prefix stays under it" "301 http://127.0.0.1:$PORT/thanos/" "$(fetch auth "$F/thanos" -u user:pass) $(hdr Location "$TMPD/auth.h")"
st=$(fetch auth "$F/thanos/-/echo" -u user:pass)
check_match "$L: the Authorization header reaches the upstream" '"Authorization":"Basic dXNlcjpwYXNz"' "$st $(short "$TMPD/auth.b")"
check_apache_log "shared hosting, auth"
apache_down

finish
