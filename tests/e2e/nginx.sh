#!/bin/bash
# tests/e2e/nginx.sh: thanos-fcgi behind nginx fastcgi_pass, with the files of
# deploy/nginx/ as they are (only @PLACEHOLDERS@ filled in):
#   thanos-fcgi --listen unix:SOCKET at /thanos    (thanos-fcgi-location.conf)
#   thanos-fcgi --listen 127.0.0.1:PORT, R = /      (prefix-header mode)
#   spawn-fcgi socket at /thanos
#   spawn-fcgi at /a/b, settings as FastCGI params   (thanos-fcgi-location-params.conf)
# each against a real Prometheus (route prefix /thanos, external URL at the
# public prefix) and the mock Thanos, plus a dead upstream.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"
need nginx spawn-fcgi prometheus python3 curl gzip
[ -x "$THANOS_FCGI_BIN" ] || { fail "thanos-fcgi not built: $THANOS_FCGI_BIN"; finish; }

D="$top_srcdir/deploy/nginx"
PORT=$(free_port)
F="http://127.0.0.1:$PORT"
THANOS_ROOTS=/metrics,/-/healthy,/-/ready
NGINX_USER=$(id -un)
N=0

start_prometheus "$PORT" /thanos && PROM_T=$PROM_PORT
start_prometheus "$PORT" /a/b && PROM_AB=$PROM_PORT
start_mock --route-prefix /thanos --prefix-header X-Forwarded-Prefix && MOCK_T=$MOCK_PORT
start_mock --prefix-header X-Forwarded-Prefix && MOCK_ROOT=$MOCK_PORT

# front_up FCGI_ADDR LOCATION_FILE KEY=VALUE...: nginx with the deploy files
# rendered into a new state directory, on $PORT.  Sets NGINX_PID.
front_up() {
	local addr=$1 loc=$2 d
	shift 2
	N=$((N + 1))
	d="$TMPD/nginx$N"
	mkdir -p "$d"
	render "$D/thanos-fcgi.conf" "$d/thanos-fcgi.conf" || { fail "render thanos-fcgi.conf"; return 1; }
	render "$D/thanos-fcgi-upstream.conf" "$d/thanos-fcgi-upstream.conf" FCGI_ADDR="$addr" || { fail "render upstream"; return 1; }
	render "$D/$loc" "$d/location.conf" CONFDIR="$d" "$@" || { fail "render $loc"; return 1; }
	render "$D/nginx.conf" "$d/nginx.conf" USER="$NGINX_USER" PORT="$PORT" STATEDIR="$d" \
		CONFDIR="$d" LOCATION_CONF="$d/location.conf" || { fail "render nginx.conf"; return 1; }
	if ! nginx -t -q -e stderr -p "$d" -c "$d/nginx.conf" >"$d/check.log" 2>&1; then
		fail "nginx rejects $loc: $(head -n 3 "$d/check.log")"
		return 1
	fi
	spawn "nginx$N" nginx -e stderr -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
	eval "NGINX_PID=\$PID_nginx$N"
	wait_port "$PORT" 10 || { fail "nginx ($loc) did not start"; return 1; }
}

front_down() {
	kill -QUIT "$NGINX_PID" 2>/dev/null
	local i=0
	while kill -0 "$NGINX_PID" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	kill "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
}

# listen_adapter ADDR ARGS...: thanos-fcgi with its own FastCGI socket.
listen_adapter() {
	local addr=$1
	shift
	N=$((N + 1))
	spawn "adapter$N" "$THANOS_FCGI_BIN" --listen "$addr" --threads 8 "$@"
	eval "ADAPTER_PID=\$PID_adapter$N"
	case "$addr" in
	unix:*) wait_file "${addr#unix:}" 10 || fail "thanos-fcgi did not create ${addr#unix:}" ;;
	*) wait_port "${addr##*:}" 10 || fail "thanos-fcgi did not listen on $addr" ;;
	esac
}

# spawn_adapter SOCKET ARGS...: thanos-fcgi under spawn-fcgi (-n: foreground).
spawn_adapter() {
	local sock=$1
	shift
	rm -f "$sock"
	N=$((N + 1))
	spawn "spawnfcgi$N" spawn-fcgi -n -s "$sock" -M 0660 -- "$THANOS_FCGI_BIN" --threads 8 "$@"
	eval "ADAPTER_PID=\$PID_spawnfcgi$N"
	wait_file "$sock" 10 || fail "spawn-fcgi did not create $sock"
}

# check_keepalive LABEL URL: 20 requests in a row over nginx's kept-alive
# FastCGI connections (two nginx workers), each answered within 3 s.
check_keepalive() {
	local i st ok=0 codes=""
	for i in $(seq 1 20); do
		st=$(ucurl -o /dev/null -w '%{http_code}' --max-time 3 "$2")
		codes="$codes $st"
		[ "$st" = 200 ] && ok=$((ok + 1))
	done
	check "$1: 20 requests over kept-alive FastCGI connections all answered (statuses:$codes)" 20 "$ok"
}

adapter_down() {
	kill "$ADAPTER_PID" 2>/dev/null
	wait "$ADAPTER_PID" 2>/dev/null
}

echo "# thanos-fcgi --listen unix socket at /thanos"
SOCK="$TMPD/listen.sock"
listen_adapter "unix:$SOCK" --upstream "http://127.0.0.1:$PROM_T" --web.route-prefix /thanos --upstream.root-path=
front_up "unix:$SOCK" thanos-fcgi-location.conf MOUNT=/thanos
check_keepalive "nginx --listen unix /thanos" "$F/thanos/api/v1/query?query=up"
run_suite "$F" /thanos "http://127.0.0.1:$PROM_T/thanos" prometheus "nginx --listen unix /thanos, prometheus"
front_down
adapter_down
listen_adapter "unix:$SOCK" --upstream "http://127.0.0.1:$MOCK_T" --web.route-prefix /thanos
front_up "unix:$SOCK" thanos-fcgi-location.conf MOUNT=/thanos
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_T/thanos" mock "nginx --listen unix /thanos, mock"
check_echo_headers "nginx --listen unix /thanos, mock" "$F" /thanos
check_streaming "nginx --listen unix /thanos, mock" "$F" /thanos
front_down
adapter_down

echo "# thanos-fcgi --listen TCP at /thanos, mock R=/ (prefix header)"
FPORT=$(free_port)
listen_adapter "127.0.0.1:$FPORT" --upstream "http://127.0.0.1:$MOCK_ROOT" --web.route-prefix /
front_up "127.0.0.1:$FPORT" thanos-fcgi-location.conf MOUNT=/thanos
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_ROOT" mock "nginx --listen tcp /thanos, mock R=/"
check_echo_headers "nginx --listen tcp /thanos, mock R=/" "$F" /thanos
front_down
adapter_down

echo "# dead upstream"
listen_adapter "unix:$SOCK" --upstream "$DEAD_UPSTREAM" --web.route-prefix /thanos
front_up "unix:$SOCK" thanos-fcgi-location.conf MOUNT=/thanos
check_dead_upstream "nginx --listen unix /thanos" "$F/thanos/api/v1/query?query=up"
front_down
adapter_down

echo "# spawn-fcgi socket at /thanos"
SOCK="$TMPD/spawn.sock"
spawn_adapter "$SOCK" --upstream "http://127.0.0.1:$PROM_T" --web.route-prefix /thanos --upstream.root-path=
front_up "unix:$SOCK" thanos-fcgi-location.conf MOUNT=/thanos
check_keepalive "nginx spawn-fcgi /thanos" "$F/thanos/api/v1/query?query=up"
run_suite "$F" /thanos "http://127.0.0.1:$PROM_T/thanos" prometheus "nginx spawn-fcgi /thanos, prometheus"
front_down
adapter_down
spawn_adapter "$SOCK" --upstream "http://127.0.0.1:$MOCK_T" --web.route-prefix /thanos
front_up "unix:$SOCK" thanos-fcgi-location.conf MOUNT=/thanos
run_suite "$F" /thanos "http://127.0.0.1:$MOCK_T/thanos" mock "nginx spawn-fcgi /thanos, mock"
front_down
adapter_down

echo "# spawn-fcgi at /a/b, settings as FastCGI parameters"
SOCK="$TMPD/shared.sock"
spawn_adapter "$SOCK"
front_up "unix:$SOCK" thanos-fcgi-location-params.conf MOUNT=/a/b \
	UPSTREAM="http://127.0.0.1:$PROM_AB" ROUTE_PREFIX=/thanos ROOT_PATHS=
run_suite "$F" /a/b "http://127.0.0.1:$PROM_AB/thanos" prometheus "nginx spawn-fcgi /a/b params, prometheus"
front_down
front_up "unix:$SOCK" thanos-fcgi-location-params.conf MOUNT=/a/b \
	UPSTREAM="http://127.0.0.1:$MOCK_T" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
run_suite "$F" /a/b "http://127.0.0.1:$MOCK_T/thanos" mock "nginx spawn-fcgi /a/b params, mock"
check_echo_headers "nginx spawn-fcgi /a/b params, mock" "$F" /a/b
front_down
adapter_down

finish
