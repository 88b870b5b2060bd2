#!/bin/bash
# tests/integration/fcgi.sh: thanos-fcgi on its own FastCGI socket
# (--listen 127.0.0.1:PORT, then --listen unix:PATH), driven by fcgi_client.py,
# against the mock Thanos (tests/mock).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
. "$top_srcdir/tests/integration/suite.sh"
need python3
[ -x "$THANOS_FCGI_BIN" ] || { fail "no binary at $THANOS_FCGI_BIN"; finish; }

MODE=listen
echo "# --listen 127.0.0.1:PORT"
run_suite
t_keepalive
t_client_gone

# One process, several mounts: THANOS_FCGI_* request parameters override
# the process settings for that request (nginx fastcgi_param).
req A GET /thanos /graph/ THANOS_FCGI_UPSTREAM="http://127.0.0.1:$MOCK_root" \
	THANOS_FCGI_ROUTE_PREFIX=/
check "per-request upstream and route prefix" /thanos/graph "$(rh Location)"
req A GET /thanos /-/echo
check "adapter A unchanged after the override" /thanos/-/echo "$(jget 'd["path"]')"

# Upstream on a unix socket.
mock sock --listen "unix:$TMPD/mock.sock" --route-prefix /thanos
adapter U --upstream "unix:$TMPD/mock.sock" --web.route-prefix /thanos
req U GET /pub ""
check_status "unix upstream: redirect" 302
check "unix upstream: Location" /pub/graph "$(rh Location)"
req U GET /thanos "/api/v1/query?query=up"
check "unix upstream: query" up "$(jget 'd["query"]')"

# SIGTERM: the process ends by itself.
pid=$(adapter_pid A)
kill -TERM "$pid"
for i in $(seq 1 $((100 * SLOWDOWN))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM ends the --listen process" gone "$(kill -0 "$pid" 2>/dev/null && echo running || echo gone)"

MODE=unix
echo "# --listen unix:PATH"
run_suite
t_keepalive
t_client_gone

finish
