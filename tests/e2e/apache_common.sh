# tests/e2e/apache_common.sh: what the Apache end-to-end tests share
# (apache_fcgid.sh, apache_cgi.sh, shared_hosting.sh).  Sourced, not run; it
# sources common.sh (and so tests/lib.sh).
#
# Apache runs in the foreground from a self-contained config rendered from
# deploy/ into a state directory under $TMPD: no /etc/apache2, no envvars.
# Started as root it drops to www-data, so the state directory and the copy
# of the program in it are made readable (and the directories searchable)
# for everyone.
#
#   apache_state NAME
#       makes $TMPD/NAME (logs/ run/ fcgid/ htdocs/ bin/) with a copy of the
#       program as bin/thanos-fcgi.  Sets STATE, BIN.
#   apache_up HTTPD_TEMPLATE [MOUNT_TEMPLATE] [KEY=VALUE...] [-- ENV=VALUE...]
#       renders HTTPD_TEMPLATE (and MOUNT_TEMPLATE as $STATE/mount.conf)
#       with PORT, DIR, USER, GROUP, MOUNT_CONF, BIN and the KEY=VALUEs,
#       checks it with `apache2 -t`, starts apache2 -DFOREGROUND on $PORT with
#       ENV=VALUEs in its environment and waits for the port.  Sets
#       APACHE_PID.
#   apache_down
#       stops that Apache (and the programs it started) and waits until the
#       port is closed.
#   check_body_limit LABEL URL LIMIT OVER_STATUS
#       against the mock's /-/echo: a POST of LIMIT bytes arrives whole (its
#       length and sha256 as the upstream saw them); one of LIMIT+1 bytes is
#       answered with Apache's own OVER_STATUS page.
#   check_chunked_post LABEL URL
#       against the mock's /-/echo: a POST sent with Transfer-Encoding:
#       chunked (no Content-Length) reaches the upstream whole.
#   check_apache_log LABEL
#       Apache's error log has no crash / segfault / premature-end lines.
#
# The cases apache_fcgid.sh and apache_cgi.sh both run, each with one mount
# template of deploy/ (MOUNT_CONF; httpd.conf is the one next to it) at
# /thanos, and LABEL the start of every assertion line:
#
#   start_apache_upstreams
#       a Prometheus (route prefix /thanos, external URL at /thanos) and the
#       mock with R = /thanos and R = /, both in prefix-header mode.  Sets
#       PROM_T, MOCK_T, MOCK_ROOT.
#   apache_case_prometheus MOUNT_CONF LABEL
#       the suite against the Prometheus.
#   apache_case_mock MOUNT_CONF LABEL ... apache_mock_extras LABEL
#       the suite and check_echo_headers against the mock R = /thanos; the
#       caller's own checks may follow while Apache is up, then
#       apache_mock_extras: streaming, a chunked POST, /metrics at the root.
#   apache_case_mock_root MOUNT_CONF LABEL
#       the suite and check_echo_headers against the mock R = / (E != R).
#   apache_mock_root_checks LABEL
#       the same against an Apache the caller started (and stops).
#   apache_case_dead MOUNT_CONF LABEL
#       check_dead_upstream, and the 502 is in Apache's error log.

. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

APACHE_MODDIR=/usr/lib/apache2/modules
need apache2 setsid curl python3 gzip
need_adapter

# need_apache_module NAME...: fails (never skips) without mod_NAME.so.
need_apache_module() {
	local m
	for m in "$@"; do
		[ -f "$APACHE_MODDIR/mod_$m.so" ] || {
			fail "Apache module mod_$m is missing ($APACHE_MODDIR/mod_$m.so; run tests/install-deps)"
			finish
		}
	done
}

# The account Apache's children run as: as root Apache refuses to run them
# as root, otherwise User/Group are ignored and everything runs as us.
if [ "$(id -u)" = 0 ]; then
	APACHE_USER=www-data
	APACHE_GROUP=www-data
	id "$APACHE_USER" >/dev/null 2>&1 || { fail "user $APACHE_USER is missing"; finish; }
else
	APACHE_USER=$(id -un)
	APACHE_GROUP=$(id -gn)
fi
# $TMPD is 0700 from mktemp: Apache's children must reach into it.
chmod 755 "$TMPD"

PORT=$(free_port)
F="http://127.0.0.1:$PORT"
APACHE_PID=""
THANOS_ROOTS=/metrics,/-/healthy,/-/ready

apache_state() {
	STATE="$TMPD/$1"
	mkdir -p "$STATE/logs" "$STATE/run" "$STATE/fcgid" "$STATE/htdocs" "$STATE/bin"
	BIN="$STATE/bin/thanos-fcgi"
	cp "$THANOS_FCGI_BIN" "$BIN"
	chmod 755 "$BIN"
	# mod_fcgid's process manager runs as the User: its socket directory
	chown "$APACHE_USER:$APACHE_GROUP" "$STATE/fcgid" 2>/dev/null
	chmod -R a+rX "$STATE"
	if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1 &&
		! runuser -u "$APACHE_USER" -- test -x "$BIN"; then
		fail "$APACHE_USER cannot reach $BIN: every directory above $TMPD must be searchable by others (set TMPDIR)"
		finish
	fi
}

apache_up() {
	local httpd=$1 mount=""
	local -a keys=() envs=()
	shift
	case "${1:-}" in "" | *=* | --) ;; *) mount=$1; shift ;; esac
	while [ $# -gt 0 ]; do
		if [ "$1" = -- ]; then shift; envs=("$@"); break; fi
		keys+=("$1")
		shift
	done
	if [ -n "$mount" ]; then
		render "$mount" "$STATE/mount.conf" BIN="$BIN" "${keys[@]}" || { fail "render $mount"; return 1; }
	fi
	render "$httpd" "$STATE/httpd.conf" PORT="$PORT" DIR="$STATE" USER="$APACHE_USER" \
		GROUP="$APACHE_GROUP" MOUNT_CONF="$STATE/mount.conf" "${keys[@]}" || { fail "render $httpd"; return 1; }
	# lib.sh turns the start-up check off for the tests; mod_fcgid passes its
	# processes only what FcgidInitialEnv names, not Apache's environment
	if [ "${THANOS_FCGI_CHECK_ON_START:-}" = false ] && grep -q '^LoadModule fcgid_module' "$STATE/httpd.conf"; then
		printf 'FcgidInitialEnv THANOS_FCGI_CHECK_ON_START false\n' >>"$STATE/httpd.conf"
	fi
	chmod -R a+rX "$STATE"
	: >"$STATE/logs/error.log"
	if ! env "${envs[@]}" apache2 -t -f "$STATE/httpd.conf" >"$STATE/configtest.log" 2>&1; then
		fail "apache2 rejects $(basename "$httpd") + $(basename "${mount:-none}"): $(head -n 3 "$STATE/configtest.log" | tr '\n' ' ')"
		return 1
	fi
	N_APACHE=$(( ${N_APACHE:-0} + 1 ))
	# its own session: on shutdown mpm_prefork signals its whole process
	# group, which would otherwise be this test (and make, and the shell).
	spawn "apache$N_APACHE" setsid env "${envs[@]}" apache2 -f "$STATE/httpd.conf" -DFOREGROUND
	eval "APACHE_PID=\$PID_apache$N_APACHE"
	if ! wait_port "$PORT" 10; then
		fail "apache2 ($(basename "${mount:-$httpd}")) did not start: $(tail -n 3 "$STATE/logs/error.log" | tr '\n' ' ')"
		return 1
	fi
}

apache_down() {
	local i=0
	[ -n "$APACHE_PID" ] || return 0
	kill "$APACHE_PID" 2>/dev/null
	wait "$APACHE_PID" 2>/dev/null
	APACHE_PID=""
	while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && [ "$i" -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

# apache_log_tail: the last lines of the current Apache's error log, the
# programs' stderr included (mod_cgi, mod_cgid and mod_fcgid send it there).
apache_log_tail() { tail -n "${1:-20}" "$STATE/logs/error.log"; }

# echo_body_summary FILE: "METHOD BODY_LEN BODY_SHA256" from a mock /-/echo
# answer in FILE ("not JSON: ..." when it is not one).
echo_body_summary() {
	python3 - "$1" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(d.get("method"), d.get("body_len"), d.get("body_sha256"))
except Exception as e:
    print("not JSON: %s" % e)
EOF
}

check_body_limit() {
	local label=$1 url=$2 limit=$3 over=$4 st want
	head -c "$limit" /dev/urandom >"$TMPD/body.bin"
	want=$(sha "$TMPD/body.bin")
	st=$(fetch body "$url" -H 'Content-Type: application/octet-stream' --data-binary "@$TMPD/body.bin")
	echo_body_summary "$TMPD/body.b" >"$TMPD/body.txt"
	check "$label: POST of $limit bytes (the limit) arrives whole" "200 POST $limit $want" "$st $(cat "$TMPD/body.txt")"
	head -c $((limit + 1)) /dev/urandom >"$TMPD/body.bin"
	st=$(fetch body "$url" -H 'Content-Type: application/octet-stream' --data-binary "@$TMPD/body.bin")
	check "$label: POST of $((limit + 1)) bytes gets Apache's $over" "$over" "$st"
	check_match "$label: the $over is Apache's own page, not the upstream's" '<title>' "$(short "$TMPD/body.b")"
}

check_chunked_post() {
	local label=$1 url=$2 st
	head -c 100000 /dev/urandom >"$TMPD/chunked.bin"
	st=$(fetch chunked "$url" -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' --data-binary "@$TMPD/chunked.bin")
	echo_body_summary "$TMPD/chunked.b" >"$TMPD/chunked.txt"
	check "$label: a chunked POST (no Content-Length) reaches the upstream whole" "200 POST 100000 $(sha "$TMPD/chunked.bin")" "$st $(cat "$TMPD/chunked.txt")"
}

check_apache_log() {
	local label=$1 bad
	bad=$(grep -Ei 'segfault|exit signal|Premature end of script|end of script output before headers|mod_fcgid: error reading|mod_fcgid: read data timeout|unexpected signal|AddressSanitizer|LeakSanitizer' "$STATE/logs/error.log" | head -n 3)
	check "$label: no crash or broken answer in Apache's error log" "" "$bad"
}

# --- the cases apache_cgi.sh and apache_fcgid.sh share -------------------------

# start_apache_upstreams: a Prometheus at /thanos and the mock with R =
# /thanos and R = /.  Sets PROM_T, MOCK_T, MOCK_ROOT; ends the test on failure.
start_apache_upstreams() {
	start_prometheus "$PORT" /thanos || finish
	PROM_T=$PROM_PORT
	start_mock --route-prefix /thanos --prefix-header X-Forwarded-Prefix || finish
	MOCK_T=$MOCK_PORT
	start_mock --prefix-header X-Forwarded-Prefix || finish
	MOCK_ROOT=$MOCK_PORT
}

# apache_mount_up MOUNT_CONF KEY=VALUE...: apache_up with the httpd.conf that
# stands next to MOUNT_CONF in deploy/.
apache_mount_up() { apache_up "$(dirname "$1")/httpd.conf" "$@"; }

# apache_case_prometheus MOUNT_CONF LABEL: the suite through MOUNT_CONF at
# /thanos against the Prometheus, then Apache's error log.
apache_case_prometheus() {
	apache_mount_up "$1" UPSTREAM="http://127.0.0.1:$PROM_T" ROUTE_PREFIX=/thanos ROOT_PATHS=
	run_suite "$F" /thanos "http://127.0.0.1:$PROM_T/thanos" prometheus "$2, prometheus"
	check_apache_log "$2, prometheus"
	apache_down
}

# apache_case_mock MOUNT_CONF LABEL: the suite and the forwarded headers
# through MOUNT_CONF at /thanos against the mock R = /thanos; Apache stays
# up for the caller's checks and apache_mock_extras.
apache_case_mock() {
	apache_mount_up "$1" UPSTREAM="http://127.0.0.1:$MOCK_T" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
	run_suite "$F" /thanos "http://127.0.0.1:$MOCK_T/thanos" mock "$2"
	check_echo_headers "$2" "$F" /thanos
}

# apache_mock_extras LABEL: after apache_case_mock, streaming, a chunked POST
# and /metrics at the upstream's root; then Apache's error log, and it stops.
apache_mock_extras() {
	check_streaming "$1" "$F" /thanos
	check_chunked_post "$1" "$F/thanos/-/echo"
	check "$1: /metrics goes to the upstream's root" 200 "$(fetch m "$F/thanos/metrics")"
	check_match "$1: /metrics is the upstream's" '^# HELP mock_up' "$(short "$TMPD/m.b")"
	check_apache_log "$1"
	apache_down
}

# apache_mock_root_checks LABEL: the suite and the forwarded headers at
# /thanos against the mock R = /, Apache's error log; then it stops.
apache_mock_root_checks() {
	run_suite "$F" /thanos "http://127.0.0.1:$MOCK_ROOT" mock "$1"
	check_echo_headers "$1" "$F" /thanos
	check_apache_log "$1"
	apache_down
}

# apache_case_mock_root MOUNT_CONF LABEL: apache_mock_root_checks through
# MOUNT_CONF with the settings R = / and the Thanos root paths.
apache_case_mock_root() {
	apache_mount_up "$1" UPSTREAM="http://127.0.0.1:$MOCK_ROOT" ROUTE_PREFIX=/ ROOT_PATHS="$THANOS_ROOTS"
	apache_mock_root_checks "$2"
}

# apache_case_dead MOUNT_CONF LABEL: through MOUNT_CONF at /thanos to a dead
# upstream: the adapter's 502, also in Apache's error log.
apache_case_dead() {
	apache_mount_up "$1" UPSTREAM="$DEAD_UPSTREAM" ROUTE_PREFIX=/thanos ROOT_PATHS="$THANOS_ROOTS"
	check_dead_upstream "$2" "$F/thanos/api/v1/query?query=up"
	check_match "$2: the 502 is in Apache's error log" "127\\.0\\.0\\.1:$DEAD_PORT" "$(apache_log_tail 5)"
	apache_down
}
