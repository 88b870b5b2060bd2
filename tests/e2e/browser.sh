#!/bin/bash
# tests/e2e/browser.sh: the issue-3 browser test.
#
# A real Prometheus (Debian's prometheus, --web.route-prefix=/thanos,
# --web.external-url=http://127.0.0.1:FRONT/thanos) behind lighttpd +
# mod_fastcgi + thanos-fcgi mounted at /thanos with exactly
# deploy/lighttpd/lighttpd.conf and 50-thanos-fcgi.conf (lighttpd starts the
# adapter itself, bin-path).  Headless Debian Chromium, driven by
# playwright-core (browser.mjs), opens the bare prefix, lands on the graph
# page, runs `up` and sees the result, with zero failed requests, zero
# answers >= 400 and zero console errors.  Then the same through a
# read-only mount (nginx, deploy/nginx/thanos-fcgi-location-read-only.conf,
# thanos-fcgi --listen): PUT /-/quit is the adapter's 403 and the UI and
# the query still work there.  The screenshots go to browser.png and
# browser-read-only.png in the build tree ($BUILD_DIR, else $top_builddir,
# else the current directory).
#
# It installs what it needs when missing: Debian's chromium, nodejs and npm
# (apt-get, as root) and playwright-core from package-lock.json (npm ci) into
# a cache folder in the build tree, $BROWSER_NODE_DIR (default
# tests/e2e/.node under the build tree, or $TMPD when that is not writable):
# the source tree may be read-only (distcheck).

here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

FRONT_PREFIX=/thanos
OUT_DIR=${BUILD_DIR:-${top_builddir:-$PWD}}
SHOT="$OUT_DIR/browser.png"

# --- what the test needs ---------------------------------------------------

APT_UPDATED=""
apt_install() {
	if [ "$(id -u)" != 0 ]; then
		fail "missing $*, and not root to apt-get install it"
		finish
	fi
	if [ -z "$APT_UPDATED" ]; then
		echo "# apt-get update"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$TMPD/apt-update.log" 2>&1
		APT_UPDATED=1
	fi
	echo "# apt-get install -y $*"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >"$TMPD/apt-install.log" 2>&1; then
		tail -n 20 "$TMPD/apt-install.log" >&2
		fail "apt-get install -y $* failed"
		finish
	fi
}

[ -x /usr/bin/chromium ] || apt_install chromium
command -v node >/dev/null 2>&1 || apt_install nodejs
command -v npm >/dev/null 2>&1 || apt_install npm
need node npm lighttpd nginx prometheus curl python3 timeout sha256sum

# playwright-core, from the lockfile, in a writable folder outside the
# source tree; reinstalled only when the lockfile changes.
node_dir_ok() { mkdir -p "$1" 2>/dev/null && [ -w "$1" ]; }
NODE_DIR=${BROWSER_NODE_DIR:-${top_builddir:-$PWD}/tests/e2e/.node}
node_dir_ok "$NODE_DIR" || NODE_DIR="$TMPD/node"
node_dir_ok "$NODE_DIR" || { fail "no writable folder for node_modules"; finish; }
lock_sha=$(sha256sum <"$here/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$NODE_DIR/node_modules/playwright-core/package.json" ] ||
	[ "$(cat "$NODE_DIR/.lock-sha256" 2>/dev/null)" != "$lock_sha" ]; then
	echo "# npm ci playwright-core into $NODE_DIR"
	stage="$NODE_DIR.tmp.$$"
	rm -rf "$stage"
	mkdir -p "$stage"
	cp "$here/package.json" "$here/package-lock.json" "$stage/"
	if ! (cd "$stage" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$TMPD/npm.log" 2>&1; then
		tail -n 20 "$TMPD/npm.log" >&2
		rm -rf "$stage"
		fail "npm ci of playwright-core failed (log: $TMPD/npm.log)"
		finish
	fi
	echo "$lock_sha" >"$stage/.lock-sha256"
	rm -rf "$NODE_DIR"
	mv "$stage" "$NODE_DIR"
fi
echo "# playwright-core $(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$NODE_DIR/node_modules/playwright-core/package.json" | head -n 1) is installed in $NODE_DIR"

# --- Prometheus behind lighttpd + thanos-fcgi at /thanos ----------------------

if [ ! -x "$THANOS_FCGI_BIN" ]; then
	fail "the adapter $THANOS_FCGI_BIN is not built"
	finish
fi

FRONT_PORT=$(free_port)
start_prometheus "$FRONT_PORT" "$FRONT_PREFIX" /thanos || finish

STATEDIR="$TMPD/lighttpd"
mkdir -p "$STATEDIR/htdocs"
render "$top_srcdir/deploy/lighttpd/50-thanos-fcgi.conf" "$STATEDIR/mount.conf" \
	BIN="$THANOS_FCGI_BIN" RUNDIR="$STATEDIR" \
	UPSTREAM="http://127.0.0.1:$PROM_PORT" ROUTE_PREFIX=/thanos ROOT_PATHS= ||
	{ fail "cannot render deploy/lighttpd/50-thanos-fcgi.conf"; finish; }
render "$top_srcdir/deploy/lighttpd/lighttpd.conf" "$STATEDIR/lighttpd.conf" \
	PORT="$FRONT_PORT" STATEDIR="$STATEDIR" MOUNT_CONF="$STATEDIR/mount.conf" ||
	{ fail "cannot render deploy/lighttpd/lighttpd.conf"; finish; }
if ! lighttpd -tt -f "$STATEDIR/lighttpd.conf" >"$TMPD/lighttpd-test.log" 2>&1; then
	fail "lighttpd rejects the rendered config: $(tr '\n' ' ' <"$TMPD/lighttpd-test.log")"
	finish
fi
spawn lighttpd lighttpd -D -f "$STATEDIR/lighttpd.conf"
wait_port "$FRONT_PORT" || { fail "lighttpd did not open port $FRONT_PORT"; finish; }
FRONT="http://127.0.0.1:$FRONT_PORT"
i=0
until [ "$(ucurl -o /dev/null -w '%{http_code}' "$FRONT$FRONT_PREFIX/api/v1/query?query=up")" = 200 ]; do
	i=$((i + 1))
	if [ "$i" -ge $(($(guard) * 20)) ]; then
		fail "$FRONT$FRONT_PREFIX/api/v1/query?query=up does not answer 200 through lighttpd + thanos-fcgi"
		finish
	fi
	sleep 0.05
done
echo "# Prometheus answers through lighttpd + thanos-fcgi at $FRONT$FRONT_PREFIX"

# --- the browser ------------------------------------------------------------

# run_browser LABEL URL SHOT: browser.mjs on URL, its checks as ours
# (prefixed with LABEL), the screenshot to SHOT.
run_browser() {
	local label=$1 url=$2 shot=$3 rc=0 line
	mkdir -p "$(dirname "$shot")"
	rm -f "$shot"
	BROWSER_NODE_DIR="$NODE_DIR" TMPD="$TMPD" timeout -k 5 100 \
		node "$here/browser.mjs" "$url" "$shot" \
		>"$TMPD/browser.out" 2>"$TMPD/browser.log" || rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) pass "$label${line#ok - }" ;;
		"not ok - "*) fail "$label${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done <"$TMPD/browser.out"
	[ -s "$TMPD/browser.log" ] && sed 's/^/# node: /' "$TMPD/browser.log"
	check "${label}browser.mjs exits 0 (124 = timed out)" 0 "$rc"
	if [ -s "$shot" ]; then
		echo "# screenshot: $shot"
	else
		fail "${label}no screenshot at $shot"
	fi
}

run_browser "" "$FRONT$FRONT_PREFIX" "$SHOT"

# --- the same Prometheus through a read-only mount ----------------------------
# nginx with deploy/nginx/thanos-fcgi-location-read-only.conf at the same
# prefix /thanos (Prometheus's links are paths: another port is the same
# site to them), thanos-fcgi --listen: the UI loads and `up` runs there.

start_socket_adapter --upstream "http://127.0.0.1:$PROM_PORT" --web.route-prefix /thanos --upstream.root-path=
nginx_front_up ro "unix:$SOCK" thanos-fcgi-location-read-only.conf "" FULL_MOUNT=/thanos-admin ALLOW=127.0.0.1 || finish
RO="http://127.0.0.1:$PORT_ro$FRONT_PREFIX"
st=$(fetch quit "$RO/-/quit" -X PUT)
check_match "read-only mount: PUT /-/quit is the adapter's 403, not Prometheus's" '^403 thanos-fcgi: read-only: PUT refused here' "$st $(short "$TMPD/quit.b")"
run_browser "read-only mount: " "$RO" "$OUT_DIR/browser-read-only.png"
finish
