# tests/integration/upstream_common.sh: helpers for tls.sh, replicas.sh,
# timeouts.sh and threads.sh (sourced after tests/lib.sh and common.sh).
#
#   raw_req ADDR METHOD SUBPATH [VAR=VAL...] >FILE
#       one FastCGI request to ADDR by fcgi_client.py alone, SCRIPT_NAME
#       /thanos, the raw answer on stdout.  One python start on the way
#       (common.sh's req runs python several times), so elapsed times
#       measure the adapter.
#       SUBPATH must need no percent-decoding.  REQ_BODY=FILE sends a body.
#       An adapter started in params mode gets its settings with it.
#   raw_status FILE      the code of FILE's first "Status:" line, or ""
#   raw_body FILE        the body (after the first empty line)
#   proc_gone PID [SECONDS]  waits for PID to end (SECONDS: lib.sh's guard);
#                        prints gone or running
#   blackhole VAR        starts net_helpers.py blackhole (a port whose full
#                        accept queue leaves connect() hanging) and sets VAR
#                        to its port once it is ready
# and, for every script: NETH (net_helpers.py), MODE (listen, or
# $SETTINGS_MODE: params from tests/integration/*_params.sh), RP (the
# route prefix /thanos as flags).

# lib.sh exports THANOS_FCGI_BIN; thanos-fcgi warns about unknown
# THANOS_FCGI_* variables in its environment: keep it out of the adapters'.
export -n THANOS_FCGI_BIN
NETH="$top_srcdir/tests/integration/net_helpers.py"
MODE=${SETTINGS_MODE:-listen}
RP=(--web.route-prefix /thanos)

raw_req() {
	local addr=$1 m=$2 sub=$3 in=/dev/null
	shift 3
	local path=${sub%%\?*} q=""
	case $sub in *\?*) q=${sub#*\?} ;; esac
	local -a extra=()
	# params mode (common.sh): the adapter's settings go with the request
	if [ -n "${ANAME_BY_ADDR[$addr]:-}" ]; then
		local -n areq="AREQ_${ANAME_BY_ADDR[$addr]}"
		extra+=("${areq[@]}")
	fi
	if [ -n "${REQ_BODY:-}" ]; then
		in=$REQ_BODY
		extra+=("CONTENT_LENGTH=$(wc -c <"$REQ_BODY" | tr -d ' ')")
	fi
	timeout "${REQ_TIMEOUT:-30}" env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 \
		SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD="$m" SCRIPT_NAME=/thanos \
		REQUEST_URI="/thanos$sub" PATH_INFO="$path" QUERY_STRING="$q" \
		REMOTE_ADDR=127.0.0.1 HTTP_HOST=www.example "${extra[@]}" "$@" \
		"$PY" "$FCGI_CLIENT" "$addr" <"$in" 2>>"$TMPD/fcgi-client.log"
}

raw_status() { sed -n '1s/^Status: \([0-9][0-9][0-9]\).*/\1/p' "$1" | tr -d '\r'; }
raw_body() { sed '1,/^\r\{0,1\}$/d' "$1"; }

blackhole() {
	local port
	port=$(free_port)
	spawn "blackhole_$1" "$PY" "$NETH" blackhole --listen "127.0.0.1:$port"
	[ "$(log_count "$TMPD/blackhole_$1.log" full 1)" -ge 1 ] || fail "blackhole $1 did not start"
	printf -v "$1" %s "$port"
}

proc_gone() {
	local i max=$(( ${2:-$(guard)} * 20 ))
	for ((i = 0; i < max; i++)); do
		kill -0 "$1" 2>/dev/null || { echo gone; return; }
		sleep 0.05
	done
	echo running
}

