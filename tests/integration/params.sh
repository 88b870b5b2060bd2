#!/bin/bash
# tests/integration/params.sh: the behaviour suite (suite.sh) with every
# setting sent as a THANOS_FCGI_* request parameter to a --listen process
# that has none of its own (deploy/nginx/thanos-fcgi-location-params.conf):
# the same answers as with the process's settings (fcgi.sh).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
. "$top_srcdir/tests/integration/suite.sh"
need python3
[ -x "$THANOS_FCGI_BIN" ] || { fail "no binary at $THANOS_FCGI_BIN"; finish; }

MODE=params
run_suite
t_keepalive
t_client_gone
finish
