#!/bin/bash
# tests/e2e/check_prometheus.sh: `thanos-fcgi check` in front of Debian's real
# Prometheus started with each wrong flag: right (--web.route-prefix=/thanos
# and --web.external-url .../thanos), no --web.external-url, another route
# prefix; and with the adapter's own mistakes in front of the right one
# (root paths left at Thanos's default, route prefix /, another public
# prefix, tenancy on).  Each: what check prints (the cause, the flag and
# whose it is) and its exit status.  Then the start-up check of a FastCGI
# process in front of the Prometheus without --web.external-url: the same
# finding as a warning in its log, and requests answered meanwhile.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/integration/common.sh"
need prometheus python3 curl
[ -x "$THANOS_FCGI_BIN" ] || { fail "no binary at $THANOS_FCGI_BIN"; finish; }

# prom NAME ROUTE [EXTERNAL_URL]: Debian's prometheus on a free port, waited
# for until it answers /-/ready under ROUTE; $PROM_NAME is its port.
prom() {
	local name=$1 route=$2 port dir i=0
	port=$(free_port)
	dir="$TMPD/prom-$name"
	mkdir -p "$dir"
	printf 'global:\n  scrape_interval: 1m\n' >"$dir/prometheus.yml"
	spawn "prom_$name" prometheus --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/data" --web.listen-address="127.0.0.1:$port" \
		--web.route-prefix="$route" ${3:+--web.external-url="$3"}
	until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port${route%/}/-/ready")" = 200 ]; do
		i=$((i + 1))
		[ "$i" -ge $((1200 * SLOWDOWN)) ] && { fail "prometheus $name did not become ready"; return 1; }
		sleep 0.05
	done
	eval "PROM_$name=$port"
}


prom good /thanos http://127.0.0.1:8080/thanos
prom noext /thanos
prom other /prom http://127.0.0.1:8080/prom
GOOD="http://127.0.0.1:$PROM_good"

chk good --upstream "$GOOD" --web.route-prefix /thanos --upstream.root-path=
check "right flags, root paths empty: exit 0" 0 "$CHK_RC"
check_match "right flags: Prometheus told from Thanos, all right" "^ok: $GOOD: Prometheus, route prefix /thanos" "$(out good)"
check_match "right flags: the last line says so" '^everything looks right$' "$(out good)"

chk roots --upstream "$GOOD" --web.route-prefix /thanos
check "root paths left at Thanos's default: exit 1" 1 "$CHK_RC"
check_match "root paths left at Thanos's default: /-/ready and /metrics would 404, set it empty" \
	'/-/ready and /metrics would 404: Prometheus serves them under its route prefix.*fix: set --upstream.root-path= \(empty\) in front of a Prometheus \[thanos-fcgi --upstream.root-path\]' "$(out roots)"

chk noext --upstream "http://127.0.0.1:$PROM_noext" --web.route-prefix /thanos --upstream.root-path=
check "Prometheus without --web.external-url: exit 1" 1 "$CHK_RC"
check_match "Prometheus without --web.external-url: its redirect leaves /thanos, its flag named" \
	"its redirect to /classic/graph would send the browser to /classic/graph, outside the public prefix /thanos; fix: start Prometheus with --web.external-url=https://HOST/thanos .*\[Prometheus's own --web.external-url\]" "$(out noext)"

chk other --upstream "http://127.0.0.1:$PROM_other" --web.route-prefix /thanos --upstream.root-path=
check "Prometheus --web.route-prefix=/prom, adapter /thanos: exit 1" 1 "$CHK_RC"
check_match "Prometheus --web.route-prefix=/prom: says where it serves, both flags" \
	"Prometheus serves under the route prefix /prom \(its UI answers at /prom/\), but thanos-fcgi's --web.route-prefix is /thanos.*fix: set thanos-fcgi's --web.route-prefix=/prom, or start Prometheus with --web.route-prefix=/thanos" "$(out other)"

chk slash --upstream "$GOOD" --web.route-prefix / --upstream.root-path=
check "adapter route prefix / before a Prometheus at /thanos: exit 1" 1 "$CHK_RC"
check_match "adapter route prefix /: names /thanos" "serves under the route prefix /thanos .*--web.route-prefix=/thanos" "$(out slash)"

chk pub --upstream "$GOOD" --web.route-prefix /thanos --web.external-prefix /pub --upstream.root-path=
check "public prefix /pub before a Prometheus built for /thanos: exit 1" 1 "$CHK_RC"
check_match "public prefix /pub: its page's PATH_PREFIX named, with --web.external-url" \
	"PATH_PREFIX is '/thanos', not under the public prefix /pub.*--web.external-url=https://HOST/pub" "$(out pub)"

chk ten --upstream "$GOOD" --web.route-prefix /thanos --upstream.root-path= --tenant.header X-Scope-OrgID
check "tenancy before a Prometheus: exit 1" 1 "$CHK_RC"
check_match "tenancy before a Prometheus: a warning, no isolation claimed" \
	'^warn: .*--tenant.header=X-Scope-OrgID is on, but Prometheus has no tenancy.*no isolation' "$(out ten)"

J=$(env -u THANOS_FCGI_BIN "$THANOS_FCGI_BIN" check --format json --upstream "http://127.0.0.1:$PROM_noext" --web.route-prefix /thanos --upstream.root-path=)
check "json: the finding's id, flag and side" "False Prometheus redirect_outside --web.external-url Prometheus" \
	"$(printf '%s' "$J" | python3 -c 'import json,sys; d=json.load(sys.stdin); u=d["upstreams"][0]; f=u["findings"][0]; print(d["ok"], u["kind"], f["id"], f["flag"], f["side"])')"

# ---- at start-up: the same finding in the log; requests answered meanwhile ----
MODE=listen
adapter st THANOS_FCGI_CHECK_ON_START=true --upstream "http://127.0.0.1:$PROM_noext" \
	--web.route-prefix /thanos --upstream.root-path=
req st GET /thanos /api/v1/query?query=1%2B1
check_status "start-up: a query is answered" 200
check "start-up: the check ends with one problem" 1 "$(log_count "$TMPD/adapter_st.log" 'check: done, 1 problem' 1 $((30 * SLOWDOWN)))"
check_match "start-up: the warning names Prometheus's --web.external-url" \
	'check: .*outside the public prefix /thanos; fix: start Prometheus with --web.external-url=https://HOST/thanos' "$(cat "$TMPD/adapter_st.log")"

finish
