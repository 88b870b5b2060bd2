# tests/integration/common.sh: helpers for the integration tests (sourced
# after tests/lib.sh, not run).
#
# An "adapter" is one configuration of thanos-fcgi, reached the way $MODE says:
#   cgi     the binary runs once per request with the CGI variables in its
#           environment; settings as THANOS_FCGI_* variables
#   listen  thanos-fcgi --listen 127.0.0.1:PORT FLAGS..., driven by
#           fcgi_client.py (cgi-fcgi mis-parses a record header split by a read)
#   unix    thanos-fcgi --listen unix:$TMPD/NAME.sock FLAGS...
#   spawn   spawn-fcgi -n -a 127.0.0.1 -p PORT -- thanos-fcgi FLAGS...
#   params  thanos-fcgi --listen 127.0.0.1:PORT with only its process-only
#           flags; every other setting goes with each request as its
#           THANOS_FCGI_* parameter (nginx fastcgi_param: one route a mount)
#
#   mock NAME ARGS...            starts tests/mock/thanos_mock.py on a free
#                                port: $MOCK_NAME is the port, its log is
#                                $TMPD/mock_NAME.log (mock_requests,
#                                mock_connections, mock_opened below)
#   adapter NAME [VAR=VAL...] FLAG VALUE...
#                                defines (FastCGI modes: starts) an adapter;
#                                VAR=VAL words go into its process environment
#   req NAME METHOD SCRIPT_NAME SUBPATH [VAR=VAL | -VAR ...]
#                                one request: REQUEST_URI is SCRIPT_NAME
#                                SUBPATH (raw, query included), PATH_INFO the
#                                decoded path part of SUBPATH, QUERY_STRING
#                                its query; VAR=VAL adds or replaces a CGI
#                                variable, -VAR removes one; REQ_BODY=FILE
#                                (set for the call) sends FILE as the body;
#                                REQ_TIMED=1 writes "FIRST END" (ms to the
#                                first body byte, to the end) to $RESP_TIMING;
#                                REQ_TIMEOUT=S sends SIGTERM after S seconds
#                                (SIGKILL $REQ_KILL seconds later: 2, more
#                                under valgrind).
# After req: $RESP_FIRST (first line), $RESP_CODE (code of a first
# "Status:" line, else ""), $RESP_HEAD and $RESP_BODY (files), and
#   rh NAME          first value of response header NAME
#   rbody            the body as text
#   echo_h NAME      request header NAME as the mock's /-/echo saw it,
#                    "<absent>" when it did not arrive
#   jget EXPR        EXPR on the JSON body (as d), e.g. jget 'd["path"]'
#   check_status DESC CODE   the first line is "Status: CODE ..."
#   last_fail NAME   the adapter's last "... failed: ..." log line (FastCGI
#                    modes: its own log; CGI: what the requests wrote)
#
# Under valgrind (tests/memcheck exports UNDER_VALGRIND=1 and points
# THANOS_FCGI_BIN at a wrapper that runs the binary under valgrind): every
# time limit of the checks stretches by $SLOWDOWN, a request killed by its
# timeout gets $REQ_KILL seconds after SIGTERM (not 2) to write its leak
# report, and at exit every spawned process gets SIGTERM and up to a minute
# to end by itself before lib.sh's cleanup sends SIGKILL.

HERE_INTEGRATION="$top_srcdir/tests/integration"
MOCK_PY="$top_srcdir/tests/mock/thanos_mock.py"
PYHELP="$HERE_INTEGRATION/cgiresp.py"
FCGI_CLIENT="$HERE_INTEGRATION/fcgi_client.py"
RESP_RAW="$TMPD/resp.raw"
RESP_HEAD="$TMPD/resp.head"
RESP_BODY="$TMPD/resp.body"
RESP_TIMING="$TMPD/resp.timing"
RESP_FIRST=""
RESP_CODE=""
RESP_RC=0
MODE=${MODE:-cgi}
# (SLOWDOWN and the guards of the waits: tests/lib.sh)
if [ -n "${UNDER_VALGRIND:-}" ]; then
	REQ_KILL=20
	trap 'stop_gently; cleanup' EXIT
else
	REQ_KILL=2
fi

# stop_gently: SIGTERM to everything spawned, then waits (up to 60s each) until
# it has gone: a FastCGI adapter under valgrind writes its leak report
# after its last request has finished.
stop_gently() {
	local p i
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDS; do
		for ((i = 0; i < 600; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
	done
}

need python3 curl timeout sha256sum cmp
[ -x "$THANOS_FCGI_BIN" ] || { fail "no binary at $THANOS_FCGI_BIN"; finish; }
# the interpreter itself, not a version manager's shim (called often)
PY=$(python3 -c 'import sys; print(sys.executable)')

# mock NAME ARGS...: starts the mock on a free TCP port (or, with
# --listen unix:PATH among ARGS, there) and waits for it.
mock() {
	local name=$1 port
	shift
	case " $* " in
	*" --listen unix:"*)
		spawn "mock_$name" "$PY" "$MOCK_PY" "$@"
		local all="$*" path
		path=${all##*--listen unix:}
		path=${path%% *}
		wait_file "$path" || fail "mock $name did not start"
		return
		;;
	esac
	port=$(free_port)
	spawn "mock_$name" "$PY" "$MOCK_PY" --listen "127.0.0.1:$port" "$@"
	wait_port "$port" || fail "mock $name did not start"
	eval "MOCK_$name=$port"
}

# mock_requests NAME: how many requests the mock has answered so far.
# mock_connections NAME: over how many TCP connections (those that carried a
# request: wait_port's probe does not count).
mock_requests() { grep -c '^mock: conn [0-9]* "' "$TMPD/mock_$1.log"; }
# mock_opened NAME: how many connections mock NAME has accepted (logged at
# accept, before the request is read; wait_port's probe counts).
# mock_wait_opened NAME COUNT: waits until that is COUNT (an upstream request
# under way: the event a signal or a check in the middle of one waits for).
mock_opened() { grep -c '^mock: conn [0-9]* open$' "$TMPD/mock_$1.log"; }
mock_wait_opened() {
	[ "$(log_count "$TMPD/mock_$1.log" '^mock: conn [0-9]+ open$' "$2")" -ge "$2" ] ||
		fail "mock $1: $2 connections did not come"
}
mock_connections() {
	grep '^mock: conn [0-9]* "' "$TMPD/mock_$1.log" | cut -d' ' -f3 | sort -u | wc -l | tr -d ' '
}

# The program's own flag table, read once from its --help: FLAG_ENV[flag]
# is the flag's THANOS_FCGI_* name, FLAG_PROC[flag] 1 when it is
# "process only" (never a request parameter), FLAG_LIST[flag] 1 for a
# list (a repeated flag appends).
declare -g -A FLAG_ENV=() FLAG_PROC=() FLAG_LIST=() ANAME_BY_ADDR=()
flag_table() {
	local line flag=""
	while IFS= read -r line; do
		if [[ $line =~ ^\ \ (--[a-z0-9.-]+) ]]; then
			flag=${BASH_REMATCH[1]}
			[[ $line == *"(repeatable)"* ]] && FLAG_LIST[$flag]=1
		elif [ -n "$flag" ] && [[ $line =~ ^\ +env\ (THANOS_FCGI_[A-Z0-9_]+) ]]; then
			FLAG_ENV[$flag]=${BASH_REMATCH[1]}
			[[ $line == *"(process only)"* ]] && FLAG_PROC[$flag]=1
			flag=""
		fi
	done < <(env -u THANOS_FCGI_BIN "$THANOS_FCGI_BIN" --help)
	[ ${#FLAG_ENV[@]} -gt 20 ] || fail "flag table: ${#FLAG_ENV[@]} flags read from --help"
}

# flag_env FLAG: the THANOS_FCGI_* name of a flag, from the program.
flag_env() {
	[ ${#FLAG_ENV[@]} -gt 0 ] || flag_table
	[ -n "${FLAG_ENV[$1]:-}" ] || { echo "common.sh: no flag $1 in --help" >&2; exit 2; }
	echo "${FLAG_ENV[$1]}"
}

# split_flags NAME FLAG VALUE...: params mode: the process-only flags stay
# in the caller's flags, every other one goes into AREQ_NAME as its
# request parameter (a repeated list flag joined with commas).
split_flags() {
	local -n areq="AREQ_$1"
	local -A val=()
	local f e
	shift
	flags=()
	while [ $# -ge 2 ]; do
		if [ -n "${FLAG_PROC[$1]:-}" ]; then
			flags+=("$1" "$2")
		elif [ -n "${val[$1]+set}" ] && [ -n "${FLAG_LIST[$1]:-}" ]; then
			val[$1]+=",$2"
		else
			val[$1]=$2
		fi
		shift 2
	done
	for f in "${!val[@]}"; do
		e=$(flag_env "$f") || exit 2
		areq+=("$e=${val[$f]}")
	done
}

# adapter NAME [VAR=VAL...] FLAG VALUE...: see the header comment.
# FastCGI adapters start without THANOS_FCGI_BIN (lib.sh exports it): the
# binary refuses unknown THANOS_FCGI_* names in its environment.
adapter() {
	local name=$1
	shift
	declare -g -a "AENV_$name=()" "AARGS_$name=()" "AREQ_$name=()"
	local -n aenv="AENV_$name" aargs="AARGS_$name" areq="AREQ_$name"
	while [ $# -gt 0 ] && [[ $1 == [A-Za-z_]*=* ]]; do
		aenv+=("$1")
		shift
	done
	local flags=("$@")
	[ ${#FLAG_ENV[@]} -gt 0 ] || flag_table
	case $MODE in
	cgi)
		while [ $# -ge 2 ]; do
			aenv+=("$(flag_env "$1")=$2")
			shift 2
		done
		;;
	listen | params)
		local port
		port=$(free_port)
		[ "$MODE" = params ] && split_flags "$name" "$@"
		spawn "adapter_$name" env -u THANOS_FCGI_BIN "${aenv[@]}" "$THANOS_FCGI_BIN" --listen "127.0.0.1:$port" "${flags[@]}"
		wait_port "$port" || fail "adapter $name (--listen 127.0.0.1:$port) did not start"
		eval "AADDR_$name=127.0.0.1:$port"
		ANAME_BY_ADDR[127.0.0.1:$port]=$name
		;;
	unix)
		local sock="$TMPD/adapter_$name.sock"
		spawn "adapter_$name" env -u THANOS_FCGI_BIN "${aenv[@]}" "$THANOS_FCGI_BIN" --listen "unix:$sock" "${flags[@]}"
		wait_file "$sock" || fail "adapter $name (--listen unix:$sock) did not start"
		eval "AADDR_$name=\$sock"
		;;
	spawn)
		local port
		port=$(free_port)
		spawn "adapter_$name" env -u THANOS_FCGI_BIN "${aenv[@]}" spawn-fcgi -n -a 127.0.0.1 -p "$port" -- "$THANOS_FCGI_BIN" "${flags[@]}"
		wait_port "$port" || fail "adapter $name (spawn-fcgi -p $port) did not start"
		eval "AADDR_$name=127.0.0.1:$port"
		;;
	*)
		echo "common.sh: unknown MODE '$MODE'" >&2
		exit 2
		;;
	esac
}

# adapter_pid NAME: the pid of a FastCGI adapter process.
adapter_pid() { eval "echo \${PID_adapter_$1:-}"; }

# req NAME METHOD SCRIPT_NAME SUBPATH [VAR=VAL | -VAR ...]: see the header.
req() {
	local name=$1 method=$2 script=$3 sub=$4
	shift 4
	local path=${sub%%\?*} query=""
	case $sub in *\?*) query=${sub#*\?} ;; esac
	local -A v=(
		[GATEWAY_INTERFACE]=CGI/1.1
		[SERVER_PROTOCOL]=HTTP/1.1
		[SERVER_SOFTWARE]=thanos-fcgi-tests
		[SERVER_NAME]=www.example
		[SERVER_PORT]=80
		[SERVER_ADDR]=127.0.0.1
		[REMOTE_ADDR]=192.0.2.7
		[REMOTE_PORT]=40000
		[REQUEST_SCHEME]=http
		[DOCUMENT_ROOT]=/var/www
		[SCRIPT_FILENAME]=/usr/lib/cgi-bin/thanos-fcgi
		[HTTP_HOST]=www.example
		[HTTP_USER_AGENT]=thanos-fcgi-tests
		[REQUEST_METHOD]=$method
		[SCRIPT_NAME]=$script
		[REQUEST_URI]=$script$sub
		[QUERY_STRING]=$query
	)
	if [ -n "$path" ]; then
		v[PATH_INFO]=$("$PY" "$PYHELP" decode "$path" | tr -d '\0')
	fi
	local REQ_TIMEOUT=${REQ_TIMEOUT:-30}
	local in=/dev/null
	if [ -n "${REQ_BODY:-}" ]; then
		in=$REQ_BODY
		v[CONTENT_LENGTH]=$(wc -c <"$REQ_BODY" | tr -d ' ')
	fi
	local a
	for a in "$@"; do
		case $a in
		-*) unset "v[${a#-}]" ;;
		*=*) v[${a%%=*}]=${a#*=} ;;
		esac
	done
	local -n aenv="AENV_$name" aargs="AARGS_$name" areq="AREQ_$name"
	local -a envl=(PATH="$PATH" "${areq[@]}")
	local k
	for k in "${!v[@]}"; do envl+=("$k=${v[$k]}"); done
	envl+=("${aenv[@]}")
	local -a wrap=() cmd
	local errlog
	[ -n "${REQ_TIMED:-}" ] && wrap=("$PY" "$PYHELP" timed "$RESP_TIMING")
	if [ "$MODE" = cgi ]; then
		cmd=(env -i "${envl[@]}" "$THANOS_FCGI_BIN" "${aargs[@]}")
		errlog=$TMPD/cgi.log
	else
		local addr
		eval "addr=\${AADDR_$name:-}"
		cmd=(env -i "${envl[@]}" "$PY" "$FCGI_CLIENT" "$addr")
		errlog=$TMPD/fcgi-client.log
	fi
	"${wrap[@]}" timeout -k "$REQ_KILL" "$REQ_TIMEOUT" "${cmd[@]}" <"$in" >"$RESP_RAW" 2>>"$errlog"
	RESP_RC=$?
	"$PY" "$PYHELP" split "$RESP_RAW" "$RESP_HEAD" "$RESP_BODY"
	RESP_FIRST=$(head -n 1 "$RESP_HEAD")
	RESP_CODE=""
	if [[ $RESP_FIRST =~ ^Status:\ *([0-9][0-9][0-9]) ]]; then
		RESP_CODE=${BASH_REMATCH[1]}
	fi
	echo "# $MODE $name: $method $script${sub//[$'\n\r']/ } -> ${RESP_FIRST:-<nothing>} (rc $RESP_RC)"
}

last_fail() {
	local log=$TMPD/adapter_$1.log
	[ "$MODE" = cgi ] && log=$TMPD/cgi.log
	grep 'msg="request failed"' "$log" 2>/dev/null | tail -n 1
}

# rh_all NAME: every value of response header NAME, one a line.
rh_all() {
	awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); print v } }' "$RESP_HEAD"
}
rh() { rh_all "$1" | head -n 1; }
rbody() { cat "$RESP_BODY"; }
rbody_size() { wc -c <"$RESP_BODY" | tr -d ' '; }
rbody_sha() { sha256sum <"$RESP_BODY" | cut -d' ' -f1; }
echo_h() { "$PY" "$PYHELP" echo-header "$RESP_BODY" "$1"; }
jget() { "$PY" "$PYHELP" json "$RESP_BODY" "$1"; }

# check_status DESC CODE: the response starts with "Status: CODE".
check_status() { check_match "$1: Status: $2 first" "^Status: $2( |\$)" "$RESP_FIRST"; }

# direct URL [CURL ARGS...]: asks the mock directly; body in $TMPD/direct.body.
direct() {
	local url=$1
	shift
	curl -s -o "$TMPD/direct.body" "$@" "$url"
}

# qenc TEXT: TEXT percent-encoded as one query value.
qenc() { "$PY" "$PYHELP" encode "$1"; }

# respond_q STATUS "Name: Value"...: the query for the mock's /-/respond.
respond_q() {
	local q="status=$1" h
	shift
	for h in "$@"; do q="$q&h=$(qenc "$h")"; done
	printf '%s' "$q"
}
