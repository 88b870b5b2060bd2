#!/bin/bash
# tests/integration/tls.sh: https:// and unix: upstreams (issue 4).
#
# A CA, server and client certificates are made here with the openssl
# command; nginx terminates TLS in front of the mock Thanos (proxy_pass), on
# one port per case:
#   TLS     server cert for IP:127.0.0.1 and DNS:localhost
#   MTLS_A  the same, ssl_verify_client on (a client cert from the CA)
#   MTLS_B  a second mTLS replica (for the deploy/two-replicas-mtls config)
#   LH      server cert valid for DNS:localhost only
#   TLS12   ssl_protocols TLSv1.2 only
# Each nginx server adds X-Replica, X-TLS-Protocol and X-Client-DN request
# headers, which the mock's /-/echo shows.  nginx's ssl_verify_client
# completes the handshake and answers 400 itself; net_helpers.py tls-proxy
# with --client-ca makes the handshake fail instead, the other way a real
# mTLS upstream refuses a client without a certificate.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
. "$top_srcdir/tests/integration/upstream_common.sh"
need nginx lighttpd openssl

# ---- certificates ----------------------------------------------------------

P="$TMPD/pki"
mkdir -p "$P"
ossl() { openssl "$@" >>"$TMPD/openssl.log" 2>&1 || fail "openssl $1 $2 ... (see openssl.log)"; }

# ca NAME: a self-signed CA in $P/NAME.pem, $P/NAME.key.
ca() {
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$P/$1.key" -out "$P/$1.pem" -days 2 -subj "/CN=thanos-fcgi test $1" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

# leaf NAME CA CN EXTENSIONS: a certificate signed by CA.
leaf() {
	ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$P/$1.key" -out "$P/$1.csr" -subj "/CN=$3"
	printf '%s\n' "basicConstraints=CA:FALSE" "$4" >"$P/$1.ext"
	ossl x509 -req -in "$P/$1.csr" -CA "$P/$2.pem" -CAkey "$P/$2.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 2 -out "$P/$1.pem" -extfile "$P/$1.ext"
}

ca ca
ca wrongca
leaf server ca 127.0.0.1 "$(printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'extendedKeyUsage=serverAuth')"
leaf lh ca localhost "$(printf '%s\n' 'subjectAltName=DNS:localhost' 'extendedKeyUsage=serverAuth')"
leaf client ca thanos-fcgi-client "extendedKeyUsage=clientAuth"
leaf rogue wrongca thanos-fcgi-client "extendedKeyUsage=clientAuth"
check "test certificates verify against the test CA" 3 \
	"$(openssl verify -CAfile "$P/ca.pem" "$P/server.pem" "$P/lh.pem" "$P/client.pem" 2>&1 | grep -c ': OK$')"

# ---- nginx terminating TLS in front of the mock ------------------------------

mock main --route-prefix /thanos
for v in TLS MTLS_A MTLS_B LH TLS12; do eval "PORT_$v=$(free_port)"; done
N="$TMPD/nginx"
mkdir -p "$N/tmp"
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"

# srv PORT REPLICA CERT [EXTRA]: one TLS server block.
srv() {
	cat <<EOF
    server {
        listen 127.0.0.1:$1 ssl;
        ssl_certificate $P/$3.pem;
        ssl_certificate_key $P/$3.key;
        ${4:-}
        location / {
            proxy_pass http://mock;
            proxy_set_header X-Replica $2;
            proxy_set_header X-TLS-Protocol \$ssl_protocol;
            proxy_set_header X-Client-DN \$ssl_client_s_dn;
        }
    }
EOF
}
mtls="ssl_client_certificate $P/ca.pem; ssl_verify_client on;"
cat >"$N/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $N/nginx.pid;
error_log $N/error.log info;
events { worker_connections 256; }
http {
    access_log $N/access.log;
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fastcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    upstream mock { server 127.0.0.1:$MOCK_main; keepalive 8; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_buffering off;
    ssl_protocols TLSv1.2 TLSv1.3;
$(srv "$PORT_TLS" tls server)
$(srv "$PORT_MTLS_A" a server "$mtls")
$(srv "$PORT_MTLS_B" b server "$mtls")
$(srv "$PORT_LH" lh lh)
$(srv "$PORT_TLS12" tls12 server "ssl_protocols TLSv1.2;")
}
EOF
spawn nginx nginx -p "$N" -e "$N/error.log" -c "$N/nginx.conf" -g 'daemon off;'
for v in TLS MTLS_A MTLS_B LH TLS12; do
	eval "wait_port \$PORT_$v" || fail "nginx did not open its $v port"
done
curl -s -m "$(guard)" --cacert "$P/ca.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT_TLS/thanos/-/echo" >"$TMPD/direct.code"
check "nginx TLS front answers curl --cacert directly" 200 "$(cat "$TMPD/direct.code")"

UP_TLS="https://127.0.0.1:$PORT_TLS"
CLIENT=(--upstream.tls.cert-file "$P/client.pem" --upstream.tls.key-file "$P/client.key")

# ---- verification ------------------------------------------------------------

adapter CA --upstream "$UP_TLS" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem"
req CA GET /thanos /-/echo
check_status "CA file: verified" 200
check "CA file: reached the mock through nginx" tls "$(echo_h X-Replica)"
check "CA file: under the route prefix" /thanos/-/echo "$(jget 'd["path"]')"
check_match "CA file: TLS 1.2 or 1.3" '^TLSv1\.[23]$' "$(echo_h X-TLS-Protocol)"
check "CA file: no client certificate sent" "<absent>" "$(echo_h X-Client-DN)"
req CA GET /pub /graph/
check "CA file: redirect rewritten" /pub/graph "$(rh Location)"
printf 'query=up&time=1700000000' >"$TMPD/form.txt"
REQ_BODY=$TMPD/form.txt req CA POST /thanos /api/v1/query CONTENT_TYPE=application/x-www-form-urlencoded
check_status "CA file: POST form over TLS" 200
check "CA file: POST form arrived" up "$(jget 'd["query"]')"
check "no insecure warning without the option" 0 "$(grep -ci 'verification.*off' "$TMPD/adapter_CA.log")"

adapter WRONG --upstream "$UP_TLS" "${RP[@]}" --upstream.tls.ca-file "$P/wrongca.pem"
before=$(mock_requests main)
req WRONG GET /thanos /-/echo
check_status "wrong CA: refused" 502
check_match "wrong CA: text/plain" '^text/plain' "$(rh Content-Type)"
check "wrong CA: the body is generic" "thanos-fcgi: upstream failed" "$(rbody)"
check_match "wrong CA: the log names the upstream" "127\\.0\\.0\\.1:$PORT_TLS" "$(last_fail WRONG)"
check_match "wrong CA: log line names a certificate problem" \
	'method=GET path=/thanos/-/echo err=".*([Cc]ertificate|issuer)' "$(last_fail WRONG)"
check "wrong CA: nothing reached the mock" "$before" "$(mock_requests main)"

adapter SYS --upstream "$UP_TLS" "${RP[@]}"
req SYS GET /thanos /-/echo
check_status "no CA option: system store does not know the test CA" 502
check_match "no CA option: the log names a certificate problem" '[Cc]ertificate|issuer' "$(last_fail SYS)"
check "no CA option: nothing reached the mock" "$before" "$(mock_requests main)"

# The environment (CGI mode, settings as THANOS_FCGI_* variables).
MODE=cgi
adapter CGICA --upstream "$UP_TLS" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem"
req CGICA GET /thanos /-/echo
check_status "CGI, THANOS_FCGI_UPSTREAM_TLS_CA_FILE: verified" 200
adapter CGISYS --upstream "$UP_TLS" "${RP[@]}"
req CGISYS GET /thanos /-/echo
check_status "CGI without a CA file: 502" 502
MODE=listen

# ---- the server name -----------------------------------------------------------

UP_LH="https://127.0.0.1:$PORT_LH"
adapter LHNO --upstream "$UP_LH" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem"
req LHNO GET /thanos /-/echo
check_status "localhost-only cert at 127.0.0.1: name mismatch" 502
check_match "name mismatch: the log says so" "127\\.0\\.0\\.1.*([Cc]ertificate|name)" "$(last_fail LHNO)"
adapter LH --upstream "$UP_LH" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem" \
	--upstream.tls.server-name localhost
req LH GET /thanos /-/echo
check_status "--upstream.tls.server-name localhost: verified" 200
check "server name: reached the localhost-only nginx server" lh "$(echo_h X-Replica)"
check "server name: still under the route prefix" /thanos/-/echo "$(jget 'd["path"]')"
req LH GET /pub "/-/respond?$(respond_q 302 "Location: $UP_LH/thanos/abs?q=1")"
check "server name: absolute Location on the configured upstream becomes a path" \
	"/pub/abs?q=1" "$(rh Location)"
adapter LHWRONG --upstream "$UP_TLS" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem" \
	--upstream.tls.server-name thanos.example
req LHWRONG GET /thanos /-/echo
check_status "server name not in the certificate: 502" 502

# ---- minimum TLS version ---------------------------------------------------------

UP_TLS12="https://127.0.0.1:$PORT_TLS12"
adapter V12 --upstream "$UP_TLS12" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem"
req V12 GET /thanos /-/echo
check_status "TLS 1.2 server, default minimum: 200" 200
check "TLS 1.2 server: protocol" TLSv1.2 "$(echo_h X-TLS-Protocol)"
adapter V13 --upstream "$UP_TLS12" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem" \
	--upstream.tls.min-version 1.3
req V13 GET /thanos /-/echo
check_status "TLS 1.2 server, --upstream.tls.min-version 1.3: 502" 502
adapter V13OK --upstream "$UP_TLS" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem" \
	--upstream.tls.min-version 1.3
req V13OK GET /thanos /-/echo
check "--upstream.tls.min-version 1.3 to a TLS 1.3 server" TLSv1.3 "$(echo_h X-TLS-Protocol)"

# ---- mutual TLS --------------------------------------------------------------------

UP_MA="https://127.0.0.1:$PORT_MTLS_A"
adapter MNO --upstream "$UP_MA" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem"
req MNO GET /thanos /-/echo
check_status "nginx mTLS, no client cert: nginx's own 400 passes" 400
check_match "nginx mTLS, no client cert: nginx says why" 'No required SSL certificate' "$(rbody)"
adapter MYES --upstream "$UP_MA" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem" "${CLIENT[@]}"
req MYES GET /thanos /-/echo
check_status "nginx mTLS with --upstream.tls.cert-file/key-file" 200
check_match "nginx mTLS: nginx saw our client certificate" 'CN=thanos-fcgi-client' "$(echo_h X-Client-DN)"
check "nginx mTLS: replica a" a "$(echo_h X-Replica)"
adapter MROGUE --upstream "$UP_MA" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem" \
	--upstream.tls.cert-file "$P/rogue.pem" --upstream.tls.key-file "$P/rogue.key"
req MROGUE GET /thanos /-/echo
check_status "nginx mTLS, client cert from another CA: nginx's 400" 400

# A TLS server that fails the handshake without a client certificate.
PORT_HS=$(free_port)
PORT_HS12=$(free_port)
spawn tlsproxy "$PY" "$NETH" tls-proxy --listen "127.0.0.1:$PORT_HS" --cert "$P/server.pem" \
	--key "$P/server.key" --client-ca "$P/ca.pem" --to "127.0.0.1:$MOCK_main"
spawn tlsproxy12 "$PY" "$NETH" tls-proxy --listen "127.0.0.1:$PORT_HS12" --cert "$P/server.pem" \
	--key "$P/server.key" --client-ca "$P/ca.pem" --to "127.0.0.1:$MOCK_main" --max-version 1.2
wait_port "$PORT_HS" || fail "tls-proxy did not start"
wait_port "$PORT_HS12" || fail "tls-proxy (TLS 1.2) did not start"
for v in HS HS12; do
	eval "up=https://127.0.0.1:\$PORT_$v"
	adapter "${v}NO" --upstream "$up" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem"
	before=$(mock_requests main)
	req "${v}NO" GET /thanos /-/echo
	check_status "$v: handshake needs a client cert, none given: 502" 502
	check_match "$v: the log names the upstream" "127\\.0\\.0\\.1:" "$(last_fail "${v}NO")"
	check "$v: nothing reached the mock" "$before" "$(mock_requests main)"
	adapter "${v}YES" --upstream "$up" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem" "${CLIENT[@]}"
	req "${v}YES" GET /thanos /-/echo
	check_status "$v: client cert given: 200" 200
	check "$v: request arrived" /thanos/-/echo "$(jget 'd["path"]')"
done
check_match "tls-proxy saw a handshake with our client cert" 'client cert: yes' "$(cat "$TMPD/tlsproxy.log")"

# Client key missing or not matching: a configuration the operator must see.
adapter MBADKEY --upstream "$UP_MA" "${RP[@]}" --upstream.tls.ca-file "$P/ca.pem" \
	--upstream.tls.cert-file "$P/client.pem" --upstream.tls.key-file "$P/server.key"
req MBADKEY GET /thanos /-/echo
check_status "client cert with a key that does not match: 502" 502

# ---- insecure-skip-verify ------------------------------------------------------------

adapter INS --upstream "$UP_TLS" "${RP[@]}" --upstream.tls.insecure-skip-verify
req INS GET /thanos /-/echo
check_status "insecure-skip-verify without a CA: 200" 200
req INS GET /thanos /-/healthy
adapter INSW --upstream "$UP_LH" "${RP[@]}" --upstream.tls.ca-file "$P/wrongca.pem" \
	--upstream.tls.insecure-skip-verify=true
req INSW GET /thanos /-/echo
check_status "insecure-skip-verify, wrong CA and wrong name: 200" 200
check "insecure-skip-verify: one warning line at start" 1 \
	"$(grep -ci 'TLS verification.*off' "$TMPD/adapter_INS.log")"
check_match "insecure-skip-verify: the warning names the option" 'insecure-skip-verify' \
	"$(grep -i 'TLS verification.*off' "$TMPD/adapter_INS.log")"
warn_line=$(grep -n -i 'TLS verification.*off' "$TMPD/adapter_INS.log" | cut -d: -f1)
listen_line=$(grep -n 'listening on' "$TMPD/adapter_INS.log" | cut -d: -f1)
check "insecure-skip-verify: warned before serving" yes \
	"$([ -n "$warn_line" ] && [ -n "$listen_line" ] && [ "$warn_line" -lt "$listen_line" ] && echo yes || echo no)"

# ---- deploy/two-replicas-mtls: two mTLS replicas, behind nginx and lighttpd ------------
#
# thanos-fcgi runs the example thanos-fcgi.conf (host names, certificate
# directory and socket replaced); nginx (deploy/nginx/nginx.conf with
# nginx-location.conf) and lighttpd (deploy/lighttpd/lighttpd.conf with
# lighttpd.conf) serve /thanos from its socket.

TWO="$top_srcdir/deploy/two-replicas-mtls"
sed -e "s|https://thanos-query-0\.thanos\.internal:10902|https://127.0.0.1:$PORT_MTLS_A|" \
	-e "s|https://thanos-query-1\.thanos\.internal:10902|https://127.0.0.1:$PORT_MTLS_B|" \
	-e "s|/etc/thanos-fcgi/tls/|$P/|" -e "s|/run/thanos-fcgi/thanos-fcgi\.sock|$TMPD/deploy.sock|" \
	"$TWO/thanos-fcgi.conf" >"$TMPD/deploy.conf"
check "deploy config: only names and paths replaced" 6 \
	"$(diff "$TWO/thanos-fcgi.conf" "$TMPD/deploy.conf" | grep -c '^>')"
spawn deploy "$THANOS_FCGI_BIN" --config "$TMPD/deploy.conf"
wait_file "$TMPD/deploy.sock" || fail "thanos-fcgi --config deploy.conf did not start"
check_match "deploy config: 32 threads, both replicas" \
	"32 thread\\(s\\), upstream https://127.0.0.1:$PORT_MTLS_A,https://127.0.0.1:$PORT_MTLS_B" \
	"$(cat "$TMPD/deploy.log")"
declare -a AENV_DEP=() AARGS_DEP=()
AADDR_DEP=$TMPD/deploy.sock
seen=""
for i in 1 2 3 4; do
	req DEP GET /thanos /-/echo
	check_status "deploy config: request $i" 200
	seen="$seen $(echo_h X-Replica)"
done
check "deploy config: both replicas served" "a b" "$(printf '%s\n' $seen | sort -u | tr '\n' ' ' | sed 's/ $//')"
check_match "deploy config: client certificate presented" 'CN=thanos-fcgi-client' "$(echo_h X-Client-DN)"

# web_round PORT: 8 requests to /thanos/-/echo through the web server on PORT;
# sets WEB_OK (answered 200 within 3 s) and seen (the replicas).  lighttpd
# first: nginx (2 workers, fastcgi_keep_conn on) leaves kept-alive FastCGI
# connections open to the same thanos-fcgi.
web_round() {
	local port=$1 i code
	seen="" WEB_OK=0
	for i in 1 2 3 4 5 6 7 8; do
		code=$(curl -s -m "$(guard)" -o "$TMPD/web.body" -w '%{http_code}' "http://127.0.0.1:$port/thanos/-/echo")
		[ "$code" = 200 ] && WEB_OK=$((WEB_OK + 1))
		seen="$seen $("$PY" "$PYHELP" echo-header "$TMPD/web.body" X-Replica)"
	done
}

# lighttpd in front of it.
L="$TMPD/lighttpd"
mkdir -p "$L/htdocs"
PORT_LWEB=$(free_port)
sed "s|/run/thanos-fcgi/thanos-fcgi\.sock|$TMPD/deploy.sock|" "$TWO/lighttpd.conf" >"$L/mount.conf"
sed -e "s|@PORT@|$PORT_LWEB|" -e "s|@STATEDIR@|$L|g" -e "s|@MOUNT_CONF@|$L/mount.conf|" \
	"$top_srcdir/deploy/lighttpd/lighttpd.conf" >"$L/lighttpd.conf"
spawn lighttpd lighttpd -D -f "$L/lighttpd.conf"
wait_port "$PORT_LWEB" || fail "lighttpd with lighttpd.conf did not start"
web_round "$PORT_LWEB"
check "lighttpd -> thanos-fcgi -> two mTLS replicas: 8 of 8 answered" 8 "$WEB_OK"
check "lighttpd -> thanos-fcgi -> two mTLS replicas: both served" "a b" \
	"$(printf '%s\n' $seen | grep -xE '[a-z0-9]+' | sort -u | tr '\n' ' ' | sed 's/ $//')"

# nginx in front of it.
F="$TMPD/front"
mkdir -p "$F/snippets"
PORT_WEB=$(free_port)
cp "$top_srcdir/deploy/nginx/thanos-fcgi.conf" "$F/snippets/thanos-fcgi.conf"
sed "s|@FCGI_ADDR@|unix:$TMPD/deploy.sock|" "$top_srcdir/deploy/nginx/thanos-fcgi-upstream.conf" \
	>"$F/thanos-fcgi-upstream.conf"
sed "s|include snippets/|include $F/snippets/|" "$TWO/nginx-location.conf" >"$F/location.conf"
sed -e "s|@USER@|$(id -un)|" -e "s|@PORT@|$PORT_WEB|" -e "s|@STATEDIR@|$F|g" -e "s|@CONFDIR@|$F|" \
	-e "s|@LOCATION_CONF@|$F/location.conf|" "$top_srcdir/deploy/nginx/nginx.conf" >"$F/nginx.conf"
spawn front nginx -p "$F" -e "$F/error.log" -c "$F/nginx.conf" -g 'daemon off;'
wait_port "$PORT_WEB" || fail "nginx with nginx-location.conf did not start"
web_round "$PORT_WEB"
check "nginx -> thanos-fcgi (32 threads) -> two mTLS replicas: 8 of 8 answered" 8 "$WEB_OK"
check "nginx -> thanos-fcgi -> two mTLS replicas: both served" "a b" \
	"$(printf '%s\n' $seen | grep -xE '[a-z0-9]+' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "nginx -> thanos-fcgi: bare prefix redirect" "302 /thanos/graph" \
	"$(curl -s -m "$(guard)" -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$PORT_WEB/thanos" | sed 's|http://127.0.0.1:[0-9]*||')"

# ---- unix socket upstream ----------------------------------------------------------------

mock sock --listen "unix:$TMPD/m.sock" --route-prefix /thanos
adapter U --upstream "unix:$TMPD/m.sock" "${RP[@]}"
req U GET /pub /-/echo
check_status "unix upstream: echo" 200
check "unix upstream: under the route prefix" /thanos/-/echo "$(jget 'd["path"]')"
check "unix upstream: prefix header is E" /pub "$(echo_h X-Forwarded-Prefix)"
check_match "unix upstream: the mock logged it" '"GET /thanos/-/echo HTTP/1.1" 200' "$(cat "$TMPD/mock_sock.log")"
req U GET /pub /graph/
check "unix upstream: redirect rewritten" /pub/graph "$(rh Location)"
req U GET /thanos /metrics
check_match "unix upstream: root path" '^mock_up 1$' "$(rbody)"
adapter UDEAD --upstream "unix:$TMPD/nothing.sock" "${RP[@]}"
req UDEAD GET /thanos /-/echo
check_status "unix upstream, no socket: 502" 502
check_match "unix upstream, no socket: the log names it" "nothing\\.sock" "$(last_fail UDEAD)"

finish
