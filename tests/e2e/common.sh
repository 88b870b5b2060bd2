# tests/e2e/common.sh: what tests/soak, the last shell end-to-end test,
# takes from the shell end-to-end helpers (every other end-to-end test is a
# harness file, tests/harness/).  Sourced, not run; it sources tests/lib.sh
# itself when the caller has not.
#
#   render TEMPLATE OUT KEY=VALUE...
#       copies a deploy/ template, replacing each @KEY@ by VALUE.
#   fetch NAME URL CURL_ARGS..., hdr NAME FILE, sha FILE, ucurl ARGS...
#       one request (its status printed, the body in $TMPD/NAME.b, the
#       headers in $TMPD/NAME.h), a header of it, a file's sha256, curl.

if [ -z "${TMPD:-}" ]; then
	. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"
fi

# thanos-fcgi warns about THANOS_FCGI_* names it does not know in its
# environment, and lib.sh exports THANOS_FCGI_BIN: keep that one out of the
# environment of everything started here (web servers pass their
# environment on to the programs they spawn).
export -n THANOS_FCGI_BIN

# ucurl ARGS...: curl that never uses a proxy from the environment and gives
# up after UCURL_MAX_TIME seconds (10 unless the test sets it).
ucurl() { curl -s --noproxy '*' --max-time "${UCURL_MAX_TIME:-10}" "$@"; }

# hdr NAME FILE: the value of the last NAME header in a curl -D dump.
hdr() {
	tr -d '\r' <"$2" | awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); last = v } }
		END { print last }'
}

# fetch NAME URL [CURL ARGS...]: one request, no redirect following;
# headers in $TMPD/NAME.h, body in $TMPD/NAME.b; prints the status.
fetch() {
	local name=$1 url=$2; shift 2
	: >"$TMPD/$name.b"
	: >"$TMPD/$name.h"
	ucurl -o "$TMPD/$name.b" -D "$TMPD/$name.h" -w '%{http_code}' "$@" "$url"
}

# sha FILE: sha256 of a file.
sha() { sha256sum <"$1" | cut -d' ' -f1; }

render() {
	local src=$1 dst=$2 expr="" kv k v
	shift 2
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		v=$(printf '%s' "$v" | sed -e 's/[\\|&]/\\&/g')
		expr="$expr;s|@$k@|$v|g"
	done
	sed -e "${expr#;}" "$src" >"$dst" || return 1
	if grep -Eq '@[A-Z_]+@' "$dst"; then
		echo "render: $src leaves $(grep -Eo '@[A-Z_]+@' "$dst" | sort -u | tr '\n' ' ')unset" >&2
		return 1
	fi
}

# --- nginx, the adapter and the fault upstream (hostile.sh, upstream_faults.sh,
# client_faults.sh) ---------------------------------------------------------------

