#!/bin/bash
# tests/e2e/debian_package.sh: the .deb of deploy/debian, as an administrator
# meets it.  Builds it with deploy/debian/build (or takes THANOS_FCGI_DEB),
# holds lintian to "no error, no warning", installs it with
# `apt-get install ./thanos-fcgi_*.deb`, checks that the install started
# and enabled nothing, enables the packaged lighttpd snippet with
# lighty-enable-mod and serves a real Prometheus through Debian's own
# lighttpd.conf with it, then purges the package and checks that nothing
# runs and none of its files is left.
#
# Machine-friendly: lighttpd runs in a mount namespace of its own, where a
# copy of /etc/lighttpd (taken after the install) and an empty /run/lighttpd
# are mounted over the real ones, on a free loopback port; the copy differs
# from Debian's only in the port, the address, the log and pid paths, and
# the snippet's upstream values (as its README says to edit them).  Needs
# root (it installs a package), as the rest of the e2e tests may.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"
need dpkg-deb apt-get lintian lighttpd lighty-enable-mod prometheus unshare mount man python3 curl gzip
[ "$(id -u)" = 0 ] || { fail "installs a package: run as root"; finish; }

APT="apt-get -y -q -o DPkg::Lock::Timeout=600"
export DEBIAN_FRONTEND=noninteractive
BIN=/usr/bin/thanos-fcgi

# pkg_procs: pids of processes running the packaged program (also once its
# file is deleted).
pkg_procs() {
	local p e
	for p in /proc/[0-9]*; do
		e=$(readlink "$p/exe" 2>/dev/null) || continue
		case "$e" in "$BIN" | "$BIN (deleted)") printf '%s ' "${p#/proc/}" ;; esac
	done
}

# wait_no_procs SECONDS: until no process runs the packaged program.
wait_no_procs() {
	local i=0 max=$(($1 * 20))
	while [ -n "$(pkg_procs)" ] && [ "$i" -lt "$max" ]; do
		i=$((i + 1))
		sleep 0.05
	done
}

# Whatever happens, the machine is left without the package.
INSTALLED=0
pkg_cleanup() {
	[ -n "${LPID:-}" ] && kill "$LPID" 2>/dev/null
	[ "$INSTALLED" = 1 ] && $APT purge thanos-fcgi >/dev/null 2>&1
	cleanup
}
trap pkg_cleanup EXIT

# --- build and lint ----------------------------------------------------------

if [ -n "${THANOS_FCGI_DEB:-}" ]; then
	DEB=$THANOS_FCGI_DEB
else
	"$top_srcdir/deploy/debian/build" "$TMPD/out" >"$TMPD/build.log" 2>&1
	check "deploy/debian/build exits 0" 0 "$?"
	DEB=$(ls "$TMPD"/out/thanos-fcgi_*.deb 2>/dev/null | head -n 1)
fi
[ -f "$DEB" ] || { fail "no .deb (see $TMPD/build.log)"; finish; }
lintian --fail-on error,warning "$DEB" >"$TMPD/lintian.log" 2>&1
check "lintian: no error and no warning (overrides explained in deploy/debian/README)" \
	"0 " "$? $(grep -E '^[EW]: ' "$TMPD/lintian.log" | tr '\n' ' ')"

dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$TMPD/contents"
for f in $BIN /usr/share/man/man8/thanos-fcgi.8.gz \
	/lib/systemd/system/thanos-fcgi.service \
	/lib/systemd/system/thanos-fcgi-activated.service \
	/lib/systemd/system/thanos-fcgi-activated.socket \
	/etc/lighttpd/conf-available/50-thanos-fcgi.conf \
	/etc/apache2/conf-available/thanos-fcgi.conf \
	/etc/nginx/snippets/thanos-fcgi.conf \
	/etc/nginx/snippets/thanos-fcgi-location.conf \
	/etc/nginx/snippets/thanos-fcgi-upstream.conf \
	/etc/default/thanos-fcgi \
	/usr/share/doc/thanos-fcgi/copyright \
	/usr/share/doc/thanos-fcgi/deploy/lighttpd/50-thanos-fcgi.conf; do
	grep -qx -- "$f" "$TMPD/contents" || grep -qx -- "${f#/}" "$TMPD/contents" ||
		{ grep -qx -- "/usr$f" "$TMPD/contents" && f=/usr$f; } ||
		{ fail "the package lacks $f"; continue; }
	pass "the package holds $f"
done
check_match "README under the docs" '^/usr/share/doc/thanos-fcgi/README(\.gz)?$' \
	"$(grep -E '^/usr/share/doc/thanos-fcgi/README(\.gz)?$' "$TMPD/contents")"

# --- install -----------------------------------------------------------------

before=$(pkg_procs)
check "no packaged thanos-fcgi runs before the install" "" "$before"
(cd "$(dirname "$DEB")" && $APT install "./$(basename "$DEB")") >"$TMPD/install.log" 2>&1
rc=$?
check "apt-get install ./$(basename "$DEB") exits 0" 0 "$rc"
[ "$rc" = 0 ] || finish
INSTALLED=1
dpkg -L thanos-fcgi | while read -r f; do [ -d "$f" ] || printf '%s\n' "$f"; done >"$TMPD/files"
check_match "installed program runs" '^thanos-fcgi ' "$($BIN --version 2>&1 | head -n 1)"
check "man thanos-fcgi finds the page" /usr/share/man/man8/thanos-fcgi.8.gz "$(man -w thanos-fcgi 2>&1)"
check "man renders it without a warning" "" "$(MANWIDTH=80 man --warnings thanos-fcgi 2>&1 >/dev/null)"
check "the install starts no thanos-fcgi" "" "$(pkg_procs)"
for u in thanos-fcgi.service thanos-fcgi-activated.socket; do
	check "$u is installed, not enabled" disabled "$(systemctl is-enabled "$u" 2>&1)"
done
if [ -e /run/thanos-fcgi.sock ] || [ -e /run/thanos-fcgi/thanos-fcgi.sock ]; then
	fail "the install made a FastCGI socket"
else
	pass "the install made no FastCGI socket"
fi
check "conffiles: the snippets and /etc/default" 6 \
	"$(dpkg-query -W -f='${Conffiles}\n' thanos-fcgi | grep -c '^ /etc/')"
check "the packaged snippets hold no @PLACEHOLDER@" "" \
	"$(grep -rhoE '@[A-Z_]+@' /etc/lighttpd/conf-available/50-thanos-fcgi.conf /etc/apache2/conf-available/thanos-fcgi.conf /etc/nginx/snippets/thanos-fcgi* /etc/default/thanos-fcgi | sort -u | tr '\n' ' ')"

# --- lighttpd with the packaged snippet, enabled as the README says ----------

PORT=$(free_port)
F="http://127.0.0.1:$PORT"
start_prometheus "$PORT" /thanos && PROM=$PROM_PORT
ETC="$TMPD/etc-lighttpd"
cp -a /etc/lighttpd "$ETC"
# www-data (lighttpd's user, and so thanos-fcgi's) must reach the sockets
RUN=$(mktemp -d /tmp/thanos-fcgi-deb-run.XXXXXX)
chown www-data:www-data "$RUN"
chmod 750 "$RUN"
# Debian's lighttpd.conf on our own port, loopback only, errors to stderr
# (lighttpd.log here, thanos-fcgi's too); no IPv6
# wildcard socket (use-ipv6.pl)
sed -i -e "s|^server.port .*|server.port = $PORT\nserver.bind = \"127.0.0.1\"|" \
	-e "/^server.errorlog /d" \
	-e "s|^server.pid-file .*|server.pid-file = \"$RUN/lighttpd.pid\"|" \
	-e '/use-ipv6.pl/d' "$ETC/lighttpd.conf"
# the administrator's edit: this Prometheus (route prefix /thanos, and no
# root paths: Prometheus serves /metrics under its route prefix)
sed -i -e "s|\"THANOS_FCGI_UPSTREAM\" *=> \"[^\"]*\"|\"THANOS_FCGI_UPSTREAM\" => \"http://127.0.0.1:$PROM\"|" \
	-e 's|"THANOS_FCGI_ROOT_PATHS" *=> "[^"]*"|"THANOS_FCGI_ROOT_PATHS" => ""|' \
	"$ETC/conf-available/50-thanos-fcgi.conf"
check_match "the snippet now points at the test's Prometheus" "127.0.0.1:$PROM" \
	"$(grep THANOS_FCGI_UPSTREAM "$ETC/conf-available/50-thanos-fcgi.conf")"
# in_ns CMD: CMD where /etc/lighttpd is the copy and /run/lighttpd is $RUN
# (a private mount namespace; the shell execs CMD, so the pid is CMD's)
NS='mount --bind "$1" /etc/lighttpd && mount --bind "$2" /run/lighttpd && shift 2 && exec "$@"'
in_ns() { unshare -m sh -c "$NS" sh "$ETC" "$RUN" "$@"; }
in_ns lighty-enable-mod thanos-fcgi >"$TMPD/enable.log" 2>&1
check "lighty-enable-mod thanos-fcgi exits 0" 0 "$?"
check "it enabled the snippet" ../conf-available/50-thanos-fcgi.conf "$(readlink "$ETC/conf-enabled/50-thanos-fcgi.conf")"
check "and mod_fastcgi, which the snippet depends on" ../conf-available/10-fastcgi.conf \
	"$(readlink "$ETC/conf-enabled/10-fastcgi.conf")"
if in_ns lighttpd -tt -f /etc/lighttpd/lighttpd.conf >"$TMPD/lighttpd-check.log" 2>&1; then
	pass "lighttpd -tt accepts Debian's lighttpd.conf with the snippet"
else
	fail "lighttpd -tt: $(head -n 3 "$TMPD/lighttpd-check.log" | tr '\n' ' ')"
fi
spawn lighttpd unshare -m sh -c "$NS" sh "$ETC" "$RUN" lighttpd -D -f /etc/lighttpd/lighttpd.conf
LPID=$PID_lighttpd
wait_port "$PORT" || fail "lighttpd did not start (log: $TMPD/lighttpd.log)"
check "thanos-fcgi runs, started by lighttpd as www-data" www-data \
	"$(ps -o user= -p "$(pkg_procs | awk '{ print $1 }')" 2>/dev/null | tr -d ' ')"
run_suite "$F" /thanos "http://127.0.0.1:$PROM/thanos" prometheus "debian package, lighttpd conf-available"
check "the test's pid is lighttpd's" lighttpd "$(ps -o comm= -p "$LPID")"
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null
LPID=""
wait_no_procs 10
check "lighttpd stopped: no packaged thanos-fcgi runs" "" "$(pkg_procs)"
rm -rf "$RUN"

# --- purge -------------------------------------------------------------------

$APT purge thanos-fcgi >"$TMPD/purge.log" 2>&1
check "apt-get purge thanos-fcgi exits 0" 0 "$?"
INSTALLED=0
check "dpkg knows the package no more" "" "$(dpkg-query -W -f='${Status}' thanos-fcgi 2>/dev/null | grep -v '^unknown\|not-installed')"
left=""
n=0
while read -r f; do
	n=$((n + 1))
	[ -e "$f" ] && left="$left $f"
done <"$TMPD/files"
check "none of the package's $n files is left" "" "$left"
check "no conffile is left" "" "$(ls /etc/lighttpd/conf-available/50-thanos-fcgi.conf /etc/apache2/conf-available/thanos-fcgi.conf /etc/nginx/snippets/thanos-fcgi*.conf /etc/default/thanos-fcgi 2>/dev/null | tr '\n' ' ')"
check "nothing of it runs" "" "$(pkg_procs)"
check "systemd knows its units no more" "" \
	"$(systemctl list-unit-files 'thanos-fcgi*' --no-legend 2>/dev/null | tr '\n' ' ')"

finish
