#!/bin/bash
# tests/e2e/systemd.sh: the units of deploy/systemd/, without a running
# systemd: `systemd-analyze verify` on the rendered units, then each unit's
# ExecStart line run by hand the way systemd would run it (environment from
# thanos-fcgi.default only; for the socket-activated pair, the listening
# socket of the .socket unit on fd 0), behind nginx with deploy/nginx, against
# a real Prometheus and the mock.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"
need systemd-analyze nginx prometheus python3 curl gzip
[ -x "$THANOS_FCGI_BIN" ] || { fail "thanos-fcgi not built: $THANOS_FCGI_BIN"; finish; }

S="$top_srcdir/deploy/systemd"
NG="$top_srcdir/deploy/nginx"
PORT=$(free_port)
F="http://127.0.0.1:$PORT"
U="$TMPD/units"
mkdir -p "$U"

# --- the unit files --------------------------------------------------------

render "$S/thanos-fcgi.service" "$U/thanos-fcgi.service" BIN="$THANOS_FCGI_BIN" SOCKET=/run/thanos-fcgi/thanos-fcgi.sock
render "$S/thanos-fcgi-activated.socket" "$U/thanos-fcgi-activated.socket" SOCKET=/run/thanos-fcgi.sock
render "$S/thanos-fcgi-activated.service" "$U/thanos-fcgi-activated.service" BIN="$THANOS_FCGI_BIN"
for unit in thanos-fcgi.service "thanos-fcgi-activated.socket thanos-fcgi-activated.service"; do
	# shellcheck disable=SC2086
	out=$(cd "$U" && systemd-analyze verify --man=no $unit 2>&1)
	check "systemd-analyze verify $unit" "0 " "$? $(printf '%s' "$out" | grep -v 'Failed to .*\(bus\|journal\)' | tr '\n' ' ')"
done
check_match "activated service reads fd 0 as the socket" '^StandardInput=socket$' "$(grep '^StandardInput=' "$U/thanos-fcgi-activated.service")"
check_match "activated service logs to the journal, not the socket" '^StandardOutput=journal$' "$(grep '^StandardOutput=' "$U/thanos-fcgi-activated.service")"
check "listen service runs as nginx's user" "User=www-data" "$(grep '^User=' "$U/thanos-fcgi.service")"

# execstart UNIT KEY=VALUE...: the unit's ExecStart words, rendered again with
# test paths, one a line.
execstart() {
	local unit=$1
	shift
	render "$S/$unit" "$TMPD/exec.unit" BIN="$THANOS_FCGI_BIN" "$@" || return 1
	sed -n 's/^ExecStart=//p' "$TMPD/exec.unit" | tr ' ' '\n' | grep -v '^$'
}

# envfile KEY=VALUE...: thanos-fcgi.default rendered, as env(1) arguments.
envfile() {
	render "$S/thanos-fcgi.default" "$TMPD/default" "$@" || return 1
	grep -E '^[A-Z_]+=' "$TMPD/default"
}

# --- run by hand -------------------------------------------------------------

start_prometheus "$PORT" /thanos && PROM=$PROM_PORT
start_mock --route-prefix /thanos --prefix-header X-Forwarded-Prefix && MOCK=$MOCK_PORT
N=0

# nginx_up SOCKET: deploy/nginx in front of SOCKET at /thanos.
nginx_up() {
	local d
	N=$((N + 1))
	d="$TMPD/nginx$N"
	mkdir -p "$d"
	render "$NG/thanos-fcgi.conf" "$d/thanos-fcgi.conf" &&
		render "$NG/thanos-fcgi-upstream.conf" "$d/thanos-fcgi-upstream.conf" FCGI_ADDR="unix:$1" &&
		render "$NG/thanos-fcgi-location.conf" "$d/location.conf" CONFDIR="$d" MOUNT=/thanos &&
		render "$NG/nginx.conf" "$d/nginx.conf" USER="$(id -un)" PORT="$PORT" STATEDIR="$d" \
			CONFDIR="$d" LOCATION_CONF="$d/location.conf" || { fail "render nginx files"; return 1; }
	spawn "nginx$N" nginx -e stderr -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
	eval "NGINX_PID=\$PID_nginx$N"
	wait_port "$PORT" || fail "nginx did not start"
}

stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	local i=0
	while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}

# as_listen_service UPSTREAM ROUTE_PREFIX ROOT_PATHS: thanos-fcgi.service's
# ExecStart with the .default file as its whole environment.
as_listen_service() {
	local sock="$TMPD/listen$N.sock"
	local -a argv env
	mapfile -t argv < <(execstart thanos-fcgi.service SOCKET="$sock")
	mapfile -t env < <(envfile UPSTREAM="$1" ROUTE_PREFIX="$2" ROOT_PATHS="$3")
	N=$((N + 1))
	spawn "listen$N" env -i PATH="$PATH" "${env[@]}" "${argv[@]}"
	eval "ADAPTER_PID=\$PID_listen$N"
	wait_file "$sock" || fail "thanos-fcgi.service ExecStart did not create its socket"
	check "thanos-fcgi.service: the socket is srw-rw---- (--listen.mode 0660)" 660 "$(stat -c %a "$sock")"
	SOCK=$sock
}

# as_activated_service UPSTREAM ROUTE_PREFIX ROOT_PATHS: the .socket unit's
# ListenStream bound like systemd does, put on fd 0, then the .service's
# ExecStart exec'd with the .default file as its environment.
as_activated_service() {
	local sock="$TMPD/activated$N.sock"
	local -a argv env
	render "$S/thanos-fcgi-activated.socket" "$TMPD/act.socket" SOCKET="$sock"
	check "socket unit listens on the rendered path" "$sock" "$(sed -n 's/^ListenStream=//p' "$TMPD/act.socket")"
	mapfile -t argv < <(execstart thanos-fcgi-activated.service)
	mapfile -t env < <(envfile UPSTREAM="$1" ROUTE_PREFIX="$2" ROOT_PATHS="$3")
	N=$((N + 1))
	spawn "activated$N" env -i PATH="$PATH" "${env[@]}" python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o660)
s.listen(128)
os.dup2(s.fileno(), 0)
os.execv(sys.argv[2], sys.argv[2:])
' "$sock" "${argv[@]}"
	eval "ADAPTER_PID=\$PID_activated$N"
	wait_file "$sock" || fail "socket for the activated service did not appear"
	SOCK=$sock
}

for kind in listen activated; do
	echo "# thanos-fcgi$([ $kind = activated ] && echo -activated).service by hand"
	"as_${kind}_service" "http://127.0.0.1:$PROM" /thanos ""
	nginx_up "$SOCK"
	run_suite "$F" /thanos "http://127.0.0.1:$PROM/thanos" prometheus "systemd $kind, prometheus"
	stop "$NGINX_PID"
	stop "$ADAPTER_PID"
	"as_${kind}_service" "http://127.0.0.1:$MOCK" /thanos /metrics,/-/healthy,/-/ready
	nginx_up "$SOCK"
	run_suite "$F" /thanos "http://127.0.0.1:$MOCK/thanos" mock "systemd $kind, mock"
	stop "$NGINX_PID"
	# SIGTERM as systemctl stop sends it: the process must exit well within
	# TimeoutStopSec
	kill "$ADAPTER_PID"
	t0=$(now_ms)
	wait "$ADAPTER_PID"
	rc=$?
	check "systemd $kind: stops on SIGTERM with exit status 0" 0 "$rc"
	check_between "systemd $kind: stops on SIGTERM at once (ms)" 0 3000 "$(($(now_ms) - t0))"
done

finish
