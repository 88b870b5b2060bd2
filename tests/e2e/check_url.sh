#!/bin/bash
# tests/e2e/check_url.sh: `thanos-fcgi check --url` through real web servers,
# each with the deploy/ configuration and with one wrong snippet: nginx with
# deploy/nginx (right) and a location written the PHP-FPM way (`include
# fastcgi_params; fastcgi_pass`); Apache mod_cgi with deploy/apache-cgi
# (right), without `AllowEncodedSlashes NoDecode`, without `CGIPassAuth On`.
# Each: what check prints (the cause and the setting named) and its exit
# status.  The adapter's check answer: only with the token (403 without),
# never forwarded upstream, and off (forwarded like any path) with no
# --web.check-token.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
if [ -z "${THANOS_FCGI_BIN:-}" ] && [ -x "$top_srcdir/build/src/thanos-fcgi" ]; then
	THANOS_FCGI_BIN=$top_srcdir/build/src/thanos-fcgi
fi
. "$top_srcdir/tests/e2e/apache_common.sh"
need nginx
need_apache_module cgid
TOKEN=t0k3n-$RANDOM$RANDOM

start_mock --route-prefix /thanos
UPM="http://127.0.0.1:$MOCK_PORT"
MOCKLOG="$TMPD/mock_$MOCK_PORT.log"

# chk_url NAME URL [FLAGS...]: lib.sh's chk with the right upstream
# settings and the token.
chk_url() {
	local name=$1 url=$2
	shift 2
	chk "$name" --upstream "$UPM" --web.route-prefix /thanos --web.check-token "$TOKEN" \
		--url "$url" "$@"
}

# ---- nginx with deploy/nginx: all right --------------------------------------
start_socket_adapter --upstream "$UPM" --web.route-prefix /thanos --web.check-token "$TOKEN"
nginx_front_up ngood "unix:$SOCK"
NG="http://127.0.0.1:$PORT_ngood/thanos/"
chk_url ngood "$NG"
check "nginx, deploy/nginx: exit 0" 0 "$CHK_RC"
check_match "nginx, deploy/nginx: the public prefix taken from --url" \
	'^note: public prefix /thanos \(the path of --url\), route prefix /thanos$' "$(out ngood)"
check_match "nginx, deploy/nginx: what the server passed" \
	"^note: ${NG}: the web server passed SCRIPT_NAME='/thanos' .*REQUEST_URI='/thanos/-/thanos-fcgi/check', Authorization arrives; the adapter derived E='/thanos' T='/-/thanos-fcgi/check'" "$(out ngood)"
check_match "nginx, deploy/nginx: prefix, %2F and Authorization right" "^ok: ${NG}: the web server passes the prefix, %2F and Authorization" "$(out ngood)"
check "nginx: the check requests never reached the upstream" 0 "$(grep -c 'thanos-fcgi/check' "$MOCKLOG")"

chk_url nbad "$NG" --web.check-token wrong
check "wrong token: exit 1" 1 "$CHK_RC"
check_match "wrong token: answered 403, --web.check-token named" "answers 403, not thanos-fcgi's check answer.*\[thanos-fcgi --web.check-token\]" "$(out nbad)"
code=$(ucurl -o "$TMPD/nt.b" -w '%{http_code}' "${NG}-/thanos-fcgi/check")
check "no token: 403 from the adapter" "403 thanos-fcgi: check token missing or wrong (--web.check-token)" "$code $(head -n 1 "$TMPD/nt.b")"
check "no token, wrong token: nothing forwarded upstream" 0 "$(grep -c 'thanos-fcgi/check' "$MOCKLOG")"
check_match "no token: the adapter logs why" 'check token missing or wrong' "$(cat "$TMPD/adapter.log")"

# ---- nginx the PHP-FPM way: SCRIPT_NAME is the whole path ------------------------
D="$TMPD/nphp"
mkdir -p "$D"
printf 'location /thanos/ {\n\tinclude /etc/nginx/fastcgi_params;\n\tfastcgi_pass thanos_fcgi;\n}\n' >"$D/location.conf"
NPHP_PORT=$(free_port)
render "$top_srcdir/deploy/nginx/thanos-fcgi-upstream.conf" "$D/thanos-fcgi-upstream.conf" FCGI_ADDR="unix:$SOCK" &&
	render "$top_srcdir/deploy/nginx/nginx.conf" "$D/nginx.conf" USER="$(id -un)" PORT="$NPHP_PORT" \
		STATEDIR="$D" CONFDIR="$D" LOCATION_CONF="$D/location.conf" || fail "nginx php-fpm way: render"
spawn nphp nginx -e stderr -p "$D" -c "$D/nginx.conf" -g 'daemon off;'
wait_port "$NPHP_PORT" || fail "nginx php-fpm way did not start"
NP="http://127.0.0.1:$NPHP_PORT/thanos/"
chk_url nphp "$NP"
check "nginx the PHP-FPM way: exit 1" 1 "$CHK_RC"
check_match "nginx the PHP-FPM way: E is the whole path" \
	"SCRIPT_NAME='/thanos/-/thanos-fcgi/check', PATH_INFO=\(unset\).*derives E='/thanos/-/thanos-fcgi/check', T='', not E='/thanos'" "$(out nphp)"
check_match "nginx the PHP-FPM way: fastcgi_param SCRIPT_NAME named" \
	'whole path as SCRIPT_NAME .*add `fastcgi_param SCRIPT_NAME /thanos;` after it' "$(out nphp)"

# ---- the adapter without a token: the path is the upstream's ----------------------
kill "$APID" 2>/dev/null
start_socket_adapter --upstream "$UPM" --web.route-prefix /thanos
chk_url noton "$NG"
check "adapter without --web.check-token: exit 1" 1 "$CHK_RC"
check_match "adapter without --web.check-token: the upstream's answer, the flag named" \
	"${NG}-/thanos-fcgi/check answers 404, not thanos-fcgi's check answer; fix: set the same --web.check-token" "$(out noton)"
check "adapter without --web.check-token: forwarded like any path" 2 "$(grep -c 'GET /thanos/-/thanos-fcgi/check' "$MOCKLOG")"

# ---- Apache mod_cgi: deploy/apache-cgi, then one line left out each time ----------
A="$top_srcdir/deploy/apache-cgi"
AT="$TMPD/apache-templates"
mkdir -p "$AT"
sed -e 's|^\(\s*\)SetEnv THANOS_FCGI_UPSTREAM .*|&\n\1SetEnv THANOS_FCGI_WEB_CHECK_TOKEN "@TOKEN@"|' "$A/thanos-cgi.conf" >"$AT/good.conf"
grep -v 'CGIPassAuth On' "$AT/good.conf" >"$AT/noauth.conf"
grep -v 'AllowEncodedSlashes NoDecode' "$A/httpd.conf" >"$AT/httpd-noslash.conf"
AURL="$F/thanos/"
apache_case() { # NAME HTTPD MOUNT: check with Apache up, as JSON (aNAME-json.out), then as text
	apache_state "a$1"
	if apache_up "$2" "$3" UPSTREAM="$UPM" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS" TOKEN="$TOKEN"; then
		chk_url "a$1-json" "$AURL" --format json
		chk_url "a$1" "$AURL"
	fi
	apache_down
}
apache_case good "$A/httpd.conf" "$AT/good.conf"
check "Apache, deploy/apache-cgi: exit 0" 0 "$CHK_RC"
check_match "Apache, deploy/apache-cgi: all right" "^ok: ${AURL}: the web server passes the prefix" "$(out agood)"

apache_case noslash "$AT/httpd-noslash.conf" "$AT/good.conf"
check "Apache without AllowEncodedSlashes NoDecode: exit 1" 1 "$CHK_RC"
check_match "Apache without AllowEncodedSlashes NoDecode: its own 404, the directive named" \
	"a path with %2F gets the web server's own 404 \(${AURL}-/thanos-fcgi/check/a%2Fb\).*AllowEncodedSlashes NoDecode" "$(out anoslash)"

apache_case noauth "$A/httpd.conf" "$AT/noauth.conf"
check "Apache without CGIPassAuth On: exit 1" 1 "$CHK_RC"
check_match "Apache without CGIPassAuth On: Authorization missing, the directive named" \
	"^warn: .*Authorization header sent does not reach the adapter.*CGIPassAuth On" "$(out anoauth)"
check_match "Apache without CGIPassAuth On: the rest is right" "Authorization does not arrive; the adapter derived E='/thanos' T='/-/thanos-fcgi/check'" "$(out anoauth)"

check "json, Apache: what the server passed, as fields" "True /thanos /-/thanos-fcgi/check /thanos present" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["web_passed"]; print(d["ok"], p["e"], p["t"], p["script_name"], p["authorization"])' "$TMPD/agood-json.out" 2>&1)"
J=$(env -u THANOS_FCGI_BIN "$THANOS_FCGI_BIN" check --format json --upstream "$UPM" --web.route-prefix /thanos --url "http://127.0.0.1:$NPHP_PORT/thanos/" --web.check-token x)
check "json: the web part has its own findings" "False no_check_answer" \
	"$(printf '%s' "$J" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ok"], d["web"]["findings"][0]["id"])')"

finish
