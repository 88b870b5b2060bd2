# tests/e2e/apache_common.sh: what the Apache end-to-end tests share
# (attack.sh).  Sourced, not run; it sources common.sh
# (and so tests/lib.sh).
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
#   check_apache_log LABEL
#       Apache's error log has no crash / segfault / premature-end lines.
#   apache_mount_up MOUNT_CONF KEY=VALUE...
#       apache_up with the httpd.conf that stands next to MOUNT_CONF.
#
# The deployments behind Apache (mod_fcgid, mod_cgid, shared hosting) are
# tests/harness/test_e2e.py.

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
	if ! wait_port "$PORT"; then
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

check_apache_log() {
	local label=$1 bad
	bad=$(grep -Ei 'segfault|exit signal|Premature end of script|end of script output before headers|mod_fcgid: error reading|mod_fcgid: read data timeout|unexpected signal|AddressSanitizer|LeakSanitizer' "$STATE/logs/error.log" | head -n 3)
	check "$label: no crash or broken answer in Apache's error log" "" "$bad"
}

# apache_mount_up MOUNT_CONF KEY=VALUE...: apache_up with the httpd.conf that
# stands next to MOUNT_CONF in deploy/.
apache_mount_up() { apache_up "$(dirname "$1")/httpd.conf" "$@"; }
