#!/bin/bash
# tests/integration/frontend.sh: the web-server side of the adapter (issue
# 10, cases 2, 7 and 8), against the mock Thanos:
#   - record streams that crashed libfcgi (kept fuzz_fcgi inputs): refused,
#     the process serves on;
#   - connections that stall (one byte, a bare BEGIN_REQUEST, params with no
#     FCGI_STDIN, a body that stops, an answer nobody reads) against
#     --threads N: each is closed after --client.timeout.idle and logged,
#     and the service answers the next request within that bound;
#   - --listen failures: a busy port, a missing directory, a live unix
#     socket (left alone), a stale one (replaced), a path that is not a
#     socket (never removed): one line and exit status 2; --listen.mode and
#     --listen.group on the socket file;
#   - a 502 names no upstream unless --web.error-detail (or its request
#     parameter) says so;
#   - CGI: a bad setting or an unknown THANOS_FCGI_ name answers 500 naming
#     the variable; a body shorter than CONTENT_LENGTH answers 400.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
need python3 stat

mock main --route-prefix /thanos
UP="http://127.0.0.1:$MOCK_main"
RP=(--upstream "$UP" --web.route-prefix /thanos)

# ---- stalled connections ---------------------------------------------------------

cat >"$TMPD/stall.py" <<'EOF'
# stall.py ADDR SHAPE...: opens one FastCGI connection to ADDR (host:port)
# per SHAPE, all at once, stalls each in its way, prints "ready" and holds
# them until killed.
import socket, struct, sys, time
def rec(t, c, rid=1):
    return struct.pack(">BBHHBx", 1, t, rid, len(c), 0) + c
def pairs(env):
    out = b""
    for k, v in env.items():
        out += bytes([len(k), len(v)]) + k.encode() + v.encode()
    return out
def stall(s, shape):
  begin = rec(1, struct.pack(">HB5x", 1, 1))  # RESPONDER, keep the connection
  env = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "/thanos", "REQUEST_URI": "/thanos/-/echo",
         "PATH_INFO": "/-/echo", "QUERY_STRING": "", "HTTP_HOST": "x"}
  if shape == "byte":
    s.sendall(b"\x01")
  elif shape == "begin":
    s.sendall(begin)
  elif shape == "params":
    s.sendall(begin + rec(4, pairs(env)) + rec(4, b""))
  elif shape == "body":
    env.update(REQUEST_METHOD="POST", CONTENT_LENGTH="100")
    s.sendall(begin + rec(4, pairs(env)) + rec(4, b"") + rec(5, b"x" * 10))
  elif shape == "unread":
    env.update(REQUEST_URI="/thanos/-/bytes?n=67108864&chunked=1", PATH_INFO="/-/bytes",
               QUERY_STRING="n=67108864&chunked=1")
    s.sendall(begin + rec(4, pairs(env)) + rec(4, b"") + rec(5, b""))
host, port = sys.argv[1].rsplit(":", 1)
socks = []
for shape in sys.argv[2:]:
  s = socket.socket()
  s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # "unread" fills it soon
  s.connect((host, int(port)))
  socks.append((s, shape))
for s, shape in socks:
  stall(s, shape)
print("ready", flush=True)
time.sleep(3600)
EOF

# busy_workers PID N: waits (lib.sh's guard) until N threads of the adapter
# PID are off epoll_wait (serving, or stuck in a read or write), prints how
# many are.  The main thread (in sigwait) is not a worker.
busy_workers() {
	local i n t
	for ((i = 0; i < $(guard) * 20; i++)); do
		n=0
		for t in /proc/"$1"/task/*; do
			[ "${t##*/}" = "$1" ] && continue
			[ "$(cat "$t/wchan" 2>/dev/null)" = ep_poll ] || n=$((n + 1))
		done
		[ "$n" -ge "$2" ] && break
		sleep 0.05
	done
	echo "$n"
}

MODE=listen
SHAPES="byte begin params body unread"
N=5
TMO=2000
adapter STALL "${RP[@]}" --threads "$N" --client.timeout.idle "${TMO}ms"
req STALL GET /thanos /-/echo
check_status "stalls: set-up: a request before any stall" 200
# shellcheck disable=SC2086 # one word a shape
spawn stalls python3 "$TMPD/stall.py" "$AADDR_STALL" $SHAPES
[ "$(log_count "$TMPD/stalls.log" '^ready' 1)" = 1 ] || fail "stalls: stall.py did not set up its connections"
check "stalls: they hold all $N threads" "$N" "$(busy_workers "$(adapter_pid STALL)" "$N")"
t0=$(now_ms)
req STALL GET /thanos /-/echo
t=$(since_ms "$t0")
check_status "stalls: $N stalled connections against --threads $N: the next request is answered" 200
check_within "stalls: ... once --client.timeout.idle ${TMO}ms closed them (ms)" "$TMO" "$t"
check "stalls: each stalled connection was closed and logged" "$N" \
	"$(log_count "$TMPD/adapter_STALL.log" 'client\.timeout\.idle' "$N")"
req STALL GET /thanos /-/echo
check_status "stalls: the service still answers afterwards" 200

# Record streams that made libfcgi abort the whole process (a pair length
# near 2^31, in PARAMS or FCGI_GET_VALUES, or after a padded BEGIN) or lose
# memory (other management records): refused before libfcgi reads them.
adapter REC "${RP[@]}" --threads 2
for f in "$top_srcdir"/tests/fuzz/crashes/fuzz_fcgi/*; do
	python3 - "$AADDR_REC" "$f" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
data = open(sys.argv[2], "rb").read()[1:]  # fuzz_fcgi's first byte is its write size
s = socket.create_connection((host, int(port)))
try:
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.recv(65536)
except OSError:
    pass
PY
	req REC GET /thanos /-/echo
	check_status "record stream $(basename "$f"): the same adapter still serves" 200
	check "record stream $(basename "$f"): it runs" yes "$(kill -0 "$(adapter_pid REC)" 2>/dev/null && echo yes)"
done
check_match "record streams: the refusals are logged" "FastCGI connection refused: " \
	"$(grep -m1 'refused' "$TMPD/adapter_REC.log")"

# Kept connections hold no thread and are not timed out between requests.
adapter KEEP "${RP[@]}" --threads 1 --client.timeout.idle 5s
req KEEP GET /thanos /-/echo
check_status "keep: an idle kept connection does not count as a stall" 200

# ---- --listen failures ---------------------------------------------------------------

# start_fails LABEL WANT_ERE ARGS...: thanos-fcgi ARGS must exit 2 with one
# line on stderr matching WANT_ERE.
start_fails() {
	local label=$1 want=$2 rc
	shift 2
	timeout "$(guard)" env -u THANOS_FCGI_BIN "$THANOS_FCGI_BIN" "$@" >"$TMPD/start.out" 2>"$TMPD/start.err" </dev/null
	rc=$?
	check "$label: exit status 2" 2 "$rc"
	check "$label: one line on stderr" 1 "$(wc -l <"$TMPD/start.err" | tr -d ' ')"
	check_match "$label: it says what failed" "$want" "$(cat "$TMPD/start.err")"
}

ERR_PFX=$(logfmt_head error)
spawn busy python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(3600)'
log_count "$TMPD/busy.log" '^[0-9]+$' 1 >/dev/null
BUSY=$(head -n 1 "$TMPD/busy.log")
start_fails "busy port" "^$ERR_PFX\"--listen 127\\.0\\.0\\.1:$BUSY: bind failed: Address already in use\"\$" \
	--listen "127.0.0.1:$BUSY" "${RP[@]}"
start_fails "missing socket directory" "^$ERR_PFX\"--listen unix:$TMPD/none/s\\.sock: bind failed: No such file or directory\"\$" \
	--listen "unix:$TMPD/none/s.sock" "${RP[@]}"
: >"$TMPD/plain.file"
start_fails "a path that is not a socket" "not a socket" --listen "unix:$TMPD/plain.file" "${RP[@]}"
check "a path that is not a socket: the file is left alone" yes "$([ -f "$TMPD/plain.file" ] && echo yes)"
start_fails "mode on a TCP socket" "only a unix: socket" --listen "127.0.0.1:$BUSY" --listen.mode 0660 "${RP[@]}"

MODE=unix
adapter LIVE "${RP[@]}"
start_fails "a live unix socket" "a running process listens there" --listen "unix:$AADDR_LIVE" "${RP[@]}"
req LIVE GET /thanos /-/echo
check_status "a live unix socket: its owner still serves on it" 200
kill -9 "$(adapter_pid LIVE)"
wait "$(adapter_pid LIVE)" 2>/dev/null
check "a killed adapter leaves its socket file behind (the stale case)" yes "$([ -S "$AADDR_LIVE" ] && echo yes)"
spawn adapter_STALE "$THANOS_FCGI_BIN" --listen "unix:$AADDR_LIVE" "${RP[@]}"
check "a stale unix socket is replaced" 1 "$(log_count "$TMPD/adapter_STALE.log" 'level=info caller=main\.c:[0-9]+ msg="listening on' 1)"
AADDR_STALE=$AADDR_LIVE
declare -a AENV_STALE=() AARGS_STALE=()
req STALE GET /thanos /-/echo
check_status "a stale unix socket: the new adapter serves on it" 200

GROUP=www-data
getent group "$GROUP" >/dev/null || GROUP=$(id -gn)
adapter MODEG "${RP[@]}" --listen.mode 0660 --listen.group "$GROUP"
check "--listen.mode 0660 --listen.group $GROUP: the socket's mode and group" "660 $GROUP" \
	"$(stat -c '%a %G' "$AADDR_MODEG")"
req MODEG GET /thanos /-/echo
check_status "--listen.mode/--listen.group: serves" 200
start_fails "an unknown group" "no such group" --listen "unix:$TMPD/g.sock" --listen.group no-such-group-x "${RP[@]}"
MODE=listen

# ---- 5xx answers: generic unless --web.error-detail -----------------------------------------

hold_dead_port DEAD
adapter GEN --upstream "http://127.0.0.1:$DEAD" --web.route-prefix /thanos
req GEN GET /thanos /graph
check "a 502 tells the client what failed, not where" "thanos-fcgi: upstream failed" "$(rbody)"
req GEN GET /thanos /graph THANOS_FCGI_ERROR_DETAIL=true
check_match "THANOS_FCGI_ERROR_DETAIL=true (per mount): the cause too" \
	"^thanos-fcgi: upstream http://127\\.0\\.0\\.1:$DEAD failed: " "$(rbody)"
adapter DET --upstream "http://127.0.0.1:$DEAD" --web.route-prefix /thanos --web.error-detail
req DET GET /thanos /graph
check_match "--web.error-detail: the cause too" "^thanos-fcgi: upstream http://127\\.0\\.0\\.1:$DEAD failed: " "$(rbody)"

# ---- CGI: set-up errors answered ---------------------------------------------------------

MODE=cgi
adapter BADRP THANOS_FCGI_UPSTREAM="$UP" THANOS_FCGI_ROUTE_PREFIX=thanos
req BADRP GET /thanos /graph
check_status "CGI, THANOS_FCGI_ROUTE_PREFIX=thanos" 500
check_match "CGI, bad setting: the answer names the variable" "^thanos-fcgi: THANOS_FCGI_ROUTE_PREFIX: " "$(rbody)"
adapter TYPO THANOS_FCGI_UPSTREM="$UP" THANOS_FCGI_ROUTE_PREFIX=/thanos
req TYPO GET /thanos /graph
check_status "CGI, THANOS_FCGI_UPSTREM (a typo)" 500
check "CGI, unknown variable: the answer names it" "thanos-fcgi: THANOS_FCGI_UPSTREM: unknown variable" "$(rbody)"
check_match "CGI, unknown variable: the log says so too" "THANOS_FCGI_UPSTREM: unknown variable" "$(tail -n 1 "$TMPD/cgi.log")"

printf 'abc' >"$TMPD/short.txt"
adapter SHORT THANOS_FCGI_UPSTREAM="$UP" THANOS_FCGI_ROUTE_PREFIX=/thanos
before=$(mock_requests main)
REQ_BODY=$TMPD/short.txt req SHORT POST /thanos /-/echo CONTENT_LENGTH=10
check_status "CGI, a body of 3 bytes for CONTENT_LENGTH 10" 400
check_match "CGI, short body: the answer says so" "ended before CONTENT_LENGTH" "$(rbody)"
finish
