#!/bin/bash
# tests/integration/check.sh: `thanos-fcgi check` against the mock Thanos set
# up with each mistake (route prefix elsewhere, root paths empty, its own
# external prefix wrong or doubled, its prefix header served while the
# adapter sends none), an upstream that refuses, one whose TLS certificate
# is not trusted, the all-good case (exit 0), --format json; and the same
# check at start-up of a FastCGI process: its findings as warnings in the
# log, a first request answered while the check still waits on a slow probe,
# and no check in CGI mode.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
need python3 openssl
[ -x "$THANOS_FCGI_BIN" ] || { fail "no binary at $THANOS_FCGI_BIN"; finish; }

# chk NAME FLAGS...: runs the check; $TMPD/NAME.out holds what it printed,
# CHK_RC its exit status.

mock thanos --route-prefix /thanos
mock root
mock ext --route-prefix /thanos --external-prefix /other
mock dbl --route-prefix /thanos --external-prefix /thanos/thanos
mock hdr --prefix-header X-Forwarded-Prefix
UP="http://127.0.0.1:$MOCK_thanos"

# ---- all good ---------------------------------------------------------------
chk good --upstream "$UP" --web.route-prefix /thanos
check "all good: exit 0" 0 "$CHK_RC"
check_match "all good: names Thanos and the route prefix" "^ok: $UP: Thanos, route prefix /thanos" "$(out good)"
check_match "all good: says which public prefix it assumed" '^note: public prefix assumed /thanos \(the route prefix' "$(out good)"

# ---- the route prefix --------------------------------------------------------
chk r1 --upstream "http://127.0.0.1:$MOCK_root" --web.route-prefix /thanos
check "Thanos at /, adapter /thanos: exit 1" 1 "$CHK_RC"
check_match "Thanos at /, adapter /thanos: says where it serves and the flag" \
	"serves under the route prefix / .*--web.route-prefix is /thanos \(GET /thanos/ answers 404\); fix: set thanos-fcgi's --web.route-prefix=/" "$(out r1)"
chk r2 --upstream "$UP" --web.route-prefix /
check "Thanos at /thanos, adapter /: exit 1" 1 "$CHK_RC"
check_match "Thanos at /thanos, adapter /: its UI answers at /thanos/" \
	"Thanos serves under the route prefix /thanos \(its UI answers at /thanos/\).*fix: set thanos-fcgi's --web.route-prefix=/thanos, or start Thanos with --web.route-prefix=/" "$(out r2)"

# ---- root paths ---------------------------------------------------------------
chk rp --upstream "$UP" --web.route-prefix /thanos --upstream.root-path=
check "root paths empty before a Thanos: exit 1" 1 "$CHK_RC"
check_match "root paths empty before a Thanos: /-/ready and /metrics would 404, the default named" \
	'/-/ready and /metrics would 404: Thanos serves them at its root.*--upstream.root-path=/metrics,/-/healthy,/-/ready' "$(out rp)"

# ---- the upstream's own prefix -----------------------------------------------
chk ext --upstream "http://127.0.0.1:$MOCK_ext" --web.route-prefix /thanos
check "Thanos --web.external-prefix=/other: exit 1" 1 "$CHK_RC"
check_match "Thanos --web.external-prefix=/other: its GLOBAL_PATH_PREFIX and Thanos's flag" \
	"GLOBAL_PATH_PREFIX is '/other', not under the public prefix /thanos.*start Thanos with --web.external-prefix=/thanos.*\[Thanos's own --web.external-prefix\]" "$(out ext)"
chk dbl --upstream "http://127.0.0.1:$MOCK_dbl" --web.route-prefix /thanos
check_match "Thanos --web.external-prefix=/thanos/thanos: reported as doubled" \
	'"id":"page_prefix_doubled"' "$(env -u THANOS_FCGI_BIN "$THANOS_FCGI_BIN" check --format json --upstream "http://127.0.0.1:$MOCK_dbl" --web.route-prefix /thanos)"
check "doubled: exit 1" 1 "$CHK_RC"
chk ep --upstream "$UP" --web.route-prefix /thanos --web.external-prefix /pub
check_match "E given: the note says --web.external-prefix, not assumed" \
	"^note: public prefix /pub \(--web.external-prefix\)" "$(out ep)"
check_match "E /pub before a Thanos serving /thanos (no prefix header): its page named" \
	"GLOBAL_PATH_PREFIX is '/thanos', not under the public prefix /pub" "$(out ep)"

# ---- the prefix header --------------------------------------------------------
chk hdr --upstream "http://127.0.0.1:$MOCK_hdr" --web.route-prefix / --web.external-prefix /thanos --web.prefix-header=
check "Thanos serves X-Forwarded-Prefix, adapter sends none: exit 1" 1 "$CHK_RC"
check_match "Thanos serves X-Forwarded-Prefix, adapter sends none: the adapter's flag" \
	"takes its UI prefix from X-Forwarded-Prefix .*fix: set thanos-fcgi's --web.prefix-header=X-Forwarded-Prefix" "$(out hdr)"
chk hdrok --upstream "http://127.0.0.1:$MOCK_hdr" --web.route-prefix / --web.external-prefix /thanos
check "Thanos serves X-Forwarded-Prefix, adapter sends it: exit 0" 0 "$CHK_RC"

# ---- tenancy in front of a Thanos: a note, never a claim ----------------------
chk ten --upstream "$UP" --web.route-prefix /thanos --tenant.header THANOS-TENANT
check "tenancy before a Thanos: exit 0 (nothing wrong seen)" 0 "$CHK_RC"
check_match "tenancy before a Thanos: names --query.enforce-tenancy, claims no isolation" \
	'^note: .*isolates tenants only when run with --query.enforce-tenancy and --query.tenant-header=THANOS-TENANT' "$(out ten)"

# ---- unreachable, TLS ----------------------------------------------------------
hold_dead_port DEAD
chk dead --upstream "http://127.0.0.1:$DEAD" --web.route-prefix /thanos
check "refused: exit 1" 1 "$CHK_RC"
check_match "refused: the cause and --upstream" "^fail: http://127.0.0.1:$DEAD: unreachable: .*Couldn't connect.*\[thanos-fcgi --upstream\]" "$(out dead)"
chk unix --upstream "unix:$TMPD/none.sock" --web.route-prefix /thanos
check "unix socket missing: exit 1" 1 "$CHK_RC"
check_match "unix socket missing: the socket named" "^fail: unix:$TMPD/none.sock: unreachable: unix socket $TMPD/none.sock: " "$(out unix)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMPD/k.pem" -out "$TMPD/c.pem" -days 2 \
	-subj /CN=127.0.0.1 >/dev/null 2>&1
TLS_PORT=$(free_port)
spawn tls openssl s_server -quiet -accept "127.0.0.1:$TLS_PORT" -cert "$TMPD/c.pem" -key "$TMPD/k.pem" -www
wait_port "$TLS_PORT" || fail "openssl s_server did not start"
chk tls --upstream "https://127.0.0.1:$TLS_PORT" --web.route-prefix /thanos
check "untrusted certificate: exit 1" 1 "$CHK_RC"
check_match "untrusted certificate: TLS failed, the cause, --upstream.tls.ca-file" \
	'TLS failed: .*certificate.*--upstream.tls.ca-file' "$(out tls)"

# ---- JSON, several replicas, bad settings ---------------------------------------
J=$(env -u THANOS_FCGI_BIN "$THANOS_FCGI_BIN" check --format json --upstream "$UP,http://127.0.0.1:$DEAD" --web.route-prefix /thanos)
check "json: ok false, one replica fine, the other unreachable" "False Thanos ok unreachable --upstream" \
	"$(printf '%s' "$J" | python3 -c 'import json,sys; d=json.load(sys.stdin); u=d["upstreams"]; print(d["ok"], u[0]["kind"], u[0]["findings"][0]["id"], u[1]["findings"][0]["id"], u[1]["findings"][0]["flag"])')"
chk badopt --upstream "$UP" --web.route-prefix /thanos --no-such-flag x
check "unknown flag: exit 2" 2 "$CHK_RC"
chk badfmt --format yaml --upstream "$UP"
check_match "bad --format: exit 2 and says so" "^2 .*--format: want text or json" "$CHK_RC $(cat "$TMPD/badfmt.err")"

# ---- at start-up, FastCGI: a slow probe does not hold the first request -------
HOLD="$TMPD/release"
mock slow --route-prefix /thanos --hold-path /metrics --hold-file "$HOLD"
MODE=listen
# --log.level warn: what the check logs as warnings, nothing else of it
adapter st THANOS_FCGI_CHECK_ON_START=true --upstream "http://127.0.0.1:$MOCK_slow" \
	--web.route-prefix /thanos --upstream.root-path= --log.level warn
check "start-up: the check's first probe waits at the upstream" 1 "$(log_count "$TMPD/mock_slow.log" 'hold: /metrics waits' 1 $((10 * SLOWDOWN)))"
req st GET /thanos /api/v1/query?query=up
check_status "start-up: a first request is answered while the check waits" 200
check "start-up: the check had not finished then" 0 "$(grep -c 'check: done' "$TMPD/adapter_st.log")"
touch "$HOLD"
check "start-up: the check ends once its probe is answered" 1 "$(log_count "$TMPD/adapter_st.log" 'check: done, 1 problem' 1 $((30 * SLOWDOWN)))"
check_match "start-up: the finding is logged at warn level, naming the flag" \
	'check: .*/-/ready and /metrics would 404.*--upstream.root-path=/metrics' "$(cat "$TMPD/adapter_st.log")"
check "start-up: at warn level the check's info lines are not there" 0 "$(grep -c 'probing the upstream' "$TMPD/adapter_st.log")"
# SIGTERM while the check's probe still waits: the process ends within its
# --shutdown.grace (the probe is aborted, libcurl looks at the stop flag
# at least once a second), status 0
mock held --route-prefix /thanos --hold-path /metrics --hold-file "$TMPD/never"
adapter hd THANOS_FCGI_CHECK_ON_START=true --upstream "http://127.0.0.1:$MOCK_held" \
	--web.route-prefix /thanos --shutdown.grace 5s
check "stop: the probe waits" 1 "$(log_count "$TMPD/mock_held.log" 'hold: /metrics waits' 1 $((10 * SLOWDOWN)))"
t0=$(now_ms)
kill -TERM "$(adapter_pid hd)"
wait "$(adapter_pid hd)"
rc=$?
check_between "stop: ends within --shutdown.grace + 1 s though the probe never got an answer" 0 $((6000 * SLOWDOWN)) $(($(now_ms) - t0))
check "stop: exit status 0, the check's findings not logged" "0 0" "$rc $(grep -c 'check: done' "$TMPD/adapter_hd.log")"

# on fd 0 under spawn-fcgi, no terminal: the same warning in its log
MODE=spawn
adapter sp THANOS_FCGI_CHECK_ON_START=true --upstream "$UP" --web.route-prefix /thanos --upstream.root-path=
check "spawn-fcgi: the start-up check ends with one problem" 1 "$(log_count "$TMPD/adapter_sp.log" 'check: done, 1 problem' 1 $((30 * SLOWDOWN)))"
check_match "spawn-fcgi: the warning names the flag" 'check: .*/-/ready and /metrics would 404.*--upstream.root-path=/metrics' "$(cat "$TMPD/adapter_sp.log")"
MODE=listen
adapter quiet --upstream "$UP" --web.route-prefix /thanos --check.on-start=false
req quiet GET /thanos /api/v1/query?query=up
check_status "check.on-start=false: answers" 200
check "check.on-start=false: no start-up check" 0 "$(grep -c 'check:' "$TMPD/adapter_quiet.log")"

# ---- CGI: one request a process, no start-up check --------------------------------
MODE=cgi
n0=$(mock_requests root)
adapter cg THANOS_FCGI_CHECK_ON_START=true --upstream "http://127.0.0.1:$MOCK_root" --web.route-prefix /
req cg GET /thanos /api/v1/query?query=up
check_status "CGI: answered" 200
check "CGI: only the request reached the upstream (no probes)" $((n0 + 1)) "$(mock_requests root)"

finish
