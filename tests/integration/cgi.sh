#!/bin/bash
# tests/integration/cgi.sh: thanos-fcgi as a CGI program (one process per
# request, CGI variables in the environment, body on stdin, settings as
# THANOS_FCGI_* variables) against the mock Thanos (tests/mock).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
. "$top_srcdir/tests/integration/suite.sh"
[ -x "$THANOS_FCGI_BIN" ] || { fail "no binary at $THANOS_FCGI_BIN"; finish; }

MODE=cgi
run_suite
t_client_gone

# SIGTERM from the web server (its timeout, or lighttpd on a client that
# went away) ends a CGI request at once: Apache sends SIGKILL 3s later anyway.
# The signal comes after 1s, once the transfer is under way (under valgrind,
# after 4s: the process takes a second or two to start).
term=1
[ "$SLOWDOWN" -gt 1 ] && term=4
t0=$(now_ms)
REQ_TIMEOUT=$term req GONE GET /thanos "/-/bytes?n=300000&chunk=1000&delay_ms=100"
t1=$(now_ms)
check_between "SIGTERM ends the CGI process at once (ms)" $((term * 1000)) $((term * 1000 + 2000 * SLOWDOWN)) "$((t1 - t0))"
check "SIGTERM: the upstream transfer was aborted" 2 "$(log_count "$TMPD/mock_gone.log" 'client went away' 2)"

# Settings as flags on the command line work in CGI mode too.
CGI_SETTINGS=flags adapter F --upstream "$UP_MAIN" --web.route-prefix /thanos
req F GET /pub ""
check_status "settings as flags" 302
check "settings as flags: Location" /pub/graph "$(rh Location)"

# Proxy variables in the environment never steer the upstream connection
# (under CGI the environment is the request: httpoxy).
adapter P http_proxy=http://127.0.0.1:$DEAD_PORT HTTPS_PROXY=http://127.0.0.1:$DEAD_PORT \
	ALL_PROXY=http://127.0.0.1:$DEAD_PORT all_proxy=http://127.0.0.1:$DEAD_PORT \
	--upstream "$UP_MAIN" --web.route-prefix /thanos
req P GET /thanos /-/echo HTTP_PROXY=http://127.0.0.1:$DEAD_PORT
check_status "proxy variables ignored" 200
check "proxy variables ignored: reached the mock" /thanos/-/echo "$(jget 'd["path"]')"

# A bad setting: exit status 2 and one line naming the option.
adapter BAD --upstream "$UP_MAIN" --upstream.timeout.connect bogus
: >"$TMPD/cgi.log"
req BAD GET /thanos /graph
check "bad setting: exit status 2" 2 "$RESP_RC"
check_match "bad setting: stderr names the option" 'timeout[._]connect|TIMEOUT_CONNECT' "$(cat "$TMPD/cgi.log")"

# The E=/thanos, R=/ chain the issue names, with the settings in env only.
adapter E --upstream "http://127.0.0.1:$MOCK_root" --web.route-prefix /
req E GET /thanos /graph
check_match "R=/ via env: UI prefix" 'GLOBAL_PATH_PREFIX="\\/thanos"' "$(rbody)"

finish
