# tests/e2e/nginx_start.sh: the start that hostile.sh, client_faults.sh and
# upstream_faults.sh share (sourced first, once top_srcdir is set): the
# binary of build/ when THANOS_FCGI_BIN is unset, tests/lib.sh and
# tests/e2e/common.sh, and nginx, python3, curl and the adapter required.
if [ -z "${THANOS_FCGI_BIN:-}" ] && [ -x "$top_srcdir/build/src/thanos-fcgi" ]; then
	THANOS_FCGI_BIN=$top_srcdir/build/src/thanos-fcgi
fi
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/e2e/common.sh"
need nginx python3 curl
need_adapter
# One request never waits longer than lib.sh's guard (common.sh's ucurl):
# a script whose requests have a configured time sets it from that after.
UCURL_MAX_TIME=$(guard)
