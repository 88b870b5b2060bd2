#!/bin/bash
# tests/integration/static_chroot.sh: the static binary (make static) on a
# RHEL-shaped host it was not built on (issue 13).  A chroot holds only the
# binary, /etc/hosts and a CA bundle at RHEL's path
# (/etc/pki/tls/certs/ca-bundle.crt): no libraries, no /etc/ssl.  The
# binary runs there as a CGI program (env -i ... chroot DIR /thanos-fcgi)
# against an https upstream (the mock behind net_helpers.py tls-proxy, with
# a certificate from a test CA made here, as in tls.sh) and must find the
# bundle by itself, say which it used, and verify with it.
#
#   THANOS_FCGI_BIN=build/thanos-fcgi-VERSION-linux-x86_64 tests/integration/static_chroot.sh
#
# Needs root for chroot(2) (or unprivileged user namespaces: unshare -r).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
need openssl readelf chroot
[ -x "$THANOS_FCGI_BIN" ] || { fail "no binary at $THANOS_FCGI_BIN"; finish; }
NETH="$top_srcdir/tests/integration/net_helpers.py"
RHEL_CA=/etc/pki/tls/certs/ca-bundle.crt

check "the binary has no interpreter and no dynamic section" 0 \
	"$(readelf -l "$THANOS_FCGI_BIN" | grep -c 'INTERP\|DYNAMIC')"
# absolute: env -i leaves no PATH
CHROOT=("$(command -v chroot)")
if [ "$(id -u)" != 0 ]; then
	need unshare
	CHROOT=("$(command -v unshare)" -r "${CHROOT[0]}")
fi

# ---- a CA, a server certificate for localhost, a tls-proxy in front of the mock

P="$TMPD/pki"
mkdir -p "$P"
ossl() { openssl "$@" >>"$TMPD/openssl.log" 2>&1 || fail "openssl $1 $2 ... (see openssl.log)"; }
for c in ca wrongca; do
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$P/$c.key" -out "$P/$c.pem" -days 2 -subj "/CN=thanos-fcgi static test $c" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
done
ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$P/server.key" -out "$P/server.csr" -subj "/CN=localhost"
printf '%s\n' basicConstraints=CA:FALSE subjectAltName=DNS:localhost extendedKeyUsage=serverAuth >"$P/server.ext"
ossl x509 -req -in "$P/server.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
	-set_serial "0x$(openssl rand -hex 8)" -days 2 -out "$P/server.pem" -extfile "$P/server.ext"

mock main --route-prefix /thanos
PORT_TLS=$(free_port)
spawn tlsproxy "$PY" "$NETH" tls-proxy --listen "127.0.0.1:$PORT_TLS" --cert "$P/server.pem" \
	--key "$P/server.key" --to "127.0.0.1:$MOCK_main"
wait_port "$PORT_TLS" || fail "tls-proxy did not start"

# ---- the chroots ------------------------------------------------------------

# root NAME [BUNDLE PATH]...: $TMPD/root-NAME with the binary as /thanos-fcgi,
# an /etc/hosts naming localhost, and each BUNDLE copied to PATH.
root() {
	local r="$TMPD/root-$1"
	shift
	mkdir -p "$r/etc"
	cp "$THANOS_FCGI_BIN" "$r/thanos-fcgi"
	printf '127.0.0.1 localhost\n' >"$r/etc/hosts"
	while [ $# -ge 2 ]; do
		mkdir -p "$r$(dirname "$2")"
		cp "$1" "$r$2"
		shift 2
	done
}
root rhel "$P/ca.pem" "$RHEL_CA"
root alpine "$P/ca.pem" /etc/ssl/cert.pem
root wrong "$P/wrongca.pem" "$RHEL_CA"
root none
check "the RHEL chroot holds only the binary, /etc/hosts and the bundle" \
	"./etc/hosts ./etc/pki/tls/certs/ca-bundle.crt ./thanos-fcgi" \
	"$(cd "$TMPD/root-rhel" && find . -type f | sort | tr '\n' ' ' | sed 's/ $//')"

# creq NAME [VAR=VAL...]: GET /thanos/-/echo as CGI in root NAME, upstream
# https://localhost:PORT_TLS; stderr to $TMPD/creq_NAME.err.
creq() {
	local name=$1
	shift
	env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET \
		SERVER_NAME=www.example SERVER_PORT=80 REMOTE_ADDR=192.0.2.7 HTTP_HOST=www.example \
		SCRIPT_NAME=/thanos PATH_INFO=/-/echo REQUEST_URI=/thanos/-/echo QUERY_STRING= \
		THANOS_FCGI_UPSTREAM="https://localhost:$PORT_TLS" THANOS_FCGI_ROUTE_PREFIX=/thanos "$@" \
		"$(command -v timeout)" 30 "${CHROOT[@]}" "$TMPD/root-$name" /thanos-fcgi \
		</dev/null >"$RESP_RAW" 2>"$TMPD/creq_$name.err"
	RESP_RC=$?
	"$PY" "$PYHELP" split "$RESP_RAW" "$RESP_HEAD" "$RESP_BODY"
	RESP_FIRST=$(head -n 1 "$RESP_HEAD")
	echo "# chroot $name: GET /thanos/-/echo -> ${RESP_FIRST:-<nothing>} (rc $RESP_RC)"
}
err() { cat "$TMPD/creq_$1.err"; }

# ---- RHEL layout: found, said, verified ---------------------------------------

creq rhel
check "RHEL chroot: the CGI request ends well" 0 "$RESP_RC"
check_status "RHEL chroot: https upstream verified with the bundle found" 200
check "RHEL chroot: reached the mock under the route prefix" /thanos/-/echo "$(jget 'd["path"]')"
check "RHEL chroot: the bundle used is logged once" 1 \
	"$(grep -c "CA bundle: $RHEL_CA" "$TMPD/creq_rhel.err")"
check "RHEL chroot: nothing logged as failed" 0 "$(grep -c 'failed' "$TMPD/creq_rhel.err")"
check_match "tls-proxy: the handshake completed" 'handshake ok' "$(cat "$TMPD/tlsproxy.log")"

# --upstream.tls.ca-file wins over the discovery and is not announced.
cp "$P/wrongca.pem" "$TMPD/root-rhel/wrong.pem"
creq rhel THANOS_FCGI_UPSTREAM_TLS_CA_FILE=/wrong.pem
check_status "RHEL chroot, --upstream.tls.ca-file of another CA: it is used (502)" 502
check "RHEL chroot, a CA file set: no discovery logged" 0 "$(grep -c 'CA bundle' "$TMPD/creq_rhel.err")"
rm "$TMPD/root-rhel/wrong.pem"

# ---- other layouts ----------------------------------------------------------------

creq alpine
check_status "Alpine chroot (/etc/ssl/cert.pem): verified" 200
check_match "Alpine chroot: its path logged" 'CA bundle: /etc/ssl/cert\.pem' "$(err alpine)"

before=$(mock_requests main)
creq wrong
check_status "bundle of another CA at the RHEL path: refused" 502
check "bundle of another CA: the body is generic" "thanos-fcgi: upstream failed" "$(rbody)"
check_match "bundle of another CA: the log names a certificate problem" '[Cc]ertificate|issuer' "$(err wrong)"
check "bundle of another CA: nothing reached the mock" "$before" "$(mock_requests main)"

creq none
check_status "no bundle anywhere: 502" 502
check_match "no bundle anywhere: a warning naming the paths looked at" \
	'CA bundle not found \(looked at /etc/ssl/certs/ca-certificates\.crt, .*/etc/pki/tls/certs/ca-bundle\.crt' "$(err none)"
check_match "no bundle anywhere: the warning says what to set" 'upstream\.tls\.ca-file' "$(err none)"

# An http upstream: nothing about CA bundles is said.
creq none THANOS_FCGI_UPSTREAM="http://localhost:$MOCK_main"
check_status "no bundle, http upstream: 200" 200
check "http upstream: no CA bundle line" 0 "$(grep -c 'CA bundle' "$TMPD/creq_none.err")"

finish
