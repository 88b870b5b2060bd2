#!/bin/bash
# tests/e2e/lighttpd.sh: thanos-fcgi behind lighttpd + mod_fastcgi, with the
# files of deploy/lighttpd/ as they are (only @PLACEHOLDERS@ filled in):
#   spawn-fcgi socket at /thanos     (50-thanos-fcgi-spawn.conf)
#   bin-path at /thanos              (50-thanos-fcgi.conf)
#   bin-path at / (fix-root-scriptname) (50-thanos-fcgi-root.conf)
#   spawn-fcgi at /a/b, settings per request (50-thanos-fcgi-two-level.conf)
# each against a real Prometheus (route prefix /thanos, external URL at the
# public prefix) and the mock Thanos (prefix-header mode, E != R, and R = /),
# plus a dead upstream.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"
need lighttpd spawn-fcgi prometheus python3 curl gzip
[ -x "$THANOS_FCGI_BIN" ] || { fail "thanos-fcgi not built: $THANOS_FCGI_BIN"; finish; }

D="$top_srcdir/deploy/lighttpd"
PORT=$(free_port)
F="http://127.0.0.1:$PORT"
THANOS_ROOTS=/metrics,/-/healthy,/-/ready
N=0

# Upstreams: one Prometheus per public prefix (its external URL must be the
# public URL), all with route prefix /thanos; the mock with a prefix header
# under /thanos, and at its root.
start_prometheus "$PORT" /thanos && PROM_T=$PROM_PORT
start_prometheus "$PORT" / && PROM_ROOT=$PROM_PORT
start_prometheus "$PORT" /a/b && PROM_AB=$PROM_PORT
start_mock --route-prefix /thanos --prefix-header X-Forwarded-Prefix && MOCK_T=$MOCK_PORT
start_mock --prefix-header X-Forwarded-Prefix && MOCK_ROOT=$MOCK_PORT

# front_up SNIPPET KEY=VALUE...: common.sh's lighttpd_up in a new state
# directory on $PORT.  Sets LIGHTTPD_PID, STATE.
front_up() {
	N=$((N + 1))
	STATE="$TMPD/lighttpd$N"
	lighttpd_up "$STATE" "$PORT" "$@"
}

# front_down: stops lighttpd (and the thanos-fcgi it started) and waits.
front_down() { lighttpd_down "$PORT"; }

# spawn_adapter SOCKET ARGS...: thanos-fcgi under spawn-fcgi, as the README
# says (-n: stay in the foreground so the test can stop it).  Sets ADAPTER_PID.
spawn_adapter() {
	local sock=$1
	shift
	rm -f "$sock"
	N=$((N + 1))
	spawn "spawnfcgi$N" spawn-fcgi -n -s "$sock" -M 0660 -- "$THANOS_FCGI_BIN" --threads 8 "$@"
	eval "ADAPTER_PID=\$PID_spawnfcgi$N"
	wait_file "$sock" 10 || fail "spawn-fcgi did not create $sock"
}

adapter_down() {
	kill "$ADAPTER_PID" 2>/dev/null
	wait "$ADAPTER_PID" 2>/dev/null
}

echo "# spawn-fcgi socket at /thanos"
SOCK="$TMPD/spawn.sock"
front_up 50-thanos-fcgi-spawn.conf SOCKET="$SOCK"
spawn_adapter "$SOCK" --upstream "http://127.0.0.1:$PROM_T" --web.route-prefix /thanos --upstream.root-path=
run_suite "$F" /thanos "http://127.0.0.1:$PROM_T/thanos" prometheus "lighttpd spawn-fcgi /thanos, prometheus"
adapter_down
spawn_adapter "$SOCK" --upstream "http://127.0.0.1:$MOCK_T" --web.route-prefix /thanos
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_T/thanos" mock "lighttpd spawn-fcgi /thanos, mock"
check_echo_headers "lighttpd spawn-fcgi /thanos, mock" "$F" /thanos
check_streaming "lighttpd spawn-fcgi /thanos, mock" "$F" /thanos
adapter_down
front_down

echo "# bin-path at /thanos"
front_up 50-thanos-fcgi.conf UPSTREAM="http://127.0.0.1:$PROM_T" ROUTE_PREFIX=/thanos ROOT_PATHS=
run_suite "$F" /thanos "http://127.0.0.1:$PROM_T/thanos" prometheus "lighttpd bin-path /thanos, prometheus"
front_down
front_up 50-thanos-fcgi.conf UPSTREAM="http://127.0.0.1:$MOCK_T" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_T/thanos" mock "lighttpd bin-path /thanos, mock"
front_down
front_up 50-thanos-fcgi.conf UPSTREAM="http://127.0.0.1:$MOCK_ROOT" ROUTE_PREFIX=/ ROOT_PATHS="$THANOS_ROOTS"
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_ROOT" mock "lighttpd bin-path /thanos, mock R=/ with prefix header"
check_echo_headers "lighttpd bin-path /thanos, mock R=/" "$F" /thanos
check_streaming "lighttpd bin-path /thanos, mock R=/" "$F" /thanos
front_down
front_up 50-thanos-fcgi.conf UPSTREAM="$DEAD_UPSTREAM" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
check_dead_upstream "lighttpd bin-path /thanos" "$F/thanos/api/v1/query?query=up"
front_down

echo "# bin-path at / (fix-root-scriptname)"
front_up 50-thanos-fcgi-root.conf UPSTREAM="http://127.0.0.1:$PROM_ROOT" ROUTE_PREFIX=/thanos ROOT_PATHS=
run_suite "$F" / "http://127.0.0.1:$PROM_ROOT/thanos" prometheus "lighttpd bin-path /, prometheus R=/thanos"
front_down
front_up 50-thanos-fcgi-root.conf UPSTREAM="http://127.0.0.1:$MOCK_T" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
run_suite "$F" / "http://127.0.0.1:$MOCK_T/thanos" mock "lighttpd bin-path /, mock R=/thanos"
check_echo_headers "lighttpd bin-path /, mock R=/thanos" "$F" /
front_down

echo "# spawn-fcgi at /a/b, settings as request parameters"
SOCK="$TMPD/shared.sock"
spawn_adapter "$SOCK"
front_up 50-thanos-fcgi-two-level.conf SOCKET="$SOCK" UPSTREAM="http://127.0.0.1:$PROM_AB" ROUTE_PREFIX=/thanos ROOT_PATHS=
run_suite "$F" /a/b "http://127.0.0.1:$PROM_AB/thanos" prometheus "lighttpd spawn-fcgi /a/b, prometheus R=/thanos"
front_down
front_up 50-thanos-fcgi-two-level.conf SOCKET="$SOCK" UPSTREAM="http://127.0.0.1:$MOCK_T" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
run_suite "$F" /a/b "http://127.0.0.1:$MOCK_T/thanos" mock "lighttpd spawn-fcgi /a/b, mock R=/thanos"
check_echo_headers "lighttpd spawn-fcgi /a/b, mock" "$F" /a/b
front_down
adapter_down

finish
