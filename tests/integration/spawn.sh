#!/bin/bash
# tests/integration/spawn.sh: thanos-fcgi under spawn-fcgi (the listening
# socket on fd 0), driven by fcgi_client.py, against the mock Thanos (tests/mock).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
. "$top_srcdir/tests/integration/suite.sh"
need spawn-fcgi python3
[ -x "$THANOS_FCGI_BIN" ] || { fail "no binary at $THANOS_FCGI_BIN"; finish; }

MODE=spawn
run_suite
t_keepalive
t_client_gone

# Settings from the environment spawn-fcgi passes on (FcgidInitialEnv-like).
port=$(free_port)
spawn adapter_ENV env -u THANOS_FCGI_BIN THANOS_FCGI_UPSTREAM="$UP_MAIN" THANOS_FCGI_ROUTE_PREFIX=/thanos \
	spawn-fcgi -n -a 127.0.0.1 -p "$port" -- "$THANOS_FCGI_BIN"
wait_port "$port" || fail "spawn-fcgi with env settings did not start"
AADDR_ENV=127.0.0.1:$port
declare -a AENV_ENV=() AARGS_ENV=()
req ENV GET /pub /graph/
check "settings from the environment" /pub/graph "$(rh Location)"

finish
