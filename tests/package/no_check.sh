#!/bin/bash
# tests/package/no_check.sh: ./configure without Check (the unit-test
# library, needed by `make check` only) still builds the program and says
# that the unit tests are off; --with-check then refuses.  Check is hidden
# from pkg-config by a wrapper, so the machine keeps it.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
need make pkg-config
[ -f "$top_srcdir/configure" ] || { fail "no configure in $top_srcdir (run autoreconf -fi)"; finish; }

wrap="$TMPD/pkg-config"
cat >"$wrap" <<'WRAP'
#!/bin/sh
# pkg-config without Check: any question about "check" gets "not found".
for a in "$@"; do
	case $a in check | check\ *) exit 1 ;; esac
done
exec pkg-config "$@"
WRAP
chmod +x "$wrap"

B="$TMPD/build"
mkdir -p "$B"
(cd "$B" && env -u MAKEFLAGS PKG_CONFIG="$wrap" "$top_srcdir/configure" >"$TMPD/configure.log" 2>&1)
check "configure without Check exits 0" 0 "$?"
check_match "configure says the unit tests are off" 'unit tests: off' "$(cat "$TMPD/configure.log")"
(cd "$B" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s src/thanos-fcgi >"$TMPD/make.log" 2>&1)
check "the program builds without Check" 0 "$?"
check_match "and runs" '^thanos-fcgi ' "$("$B/src/thanos-fcgi" --version 2>&1 | head -n 1)"

mkdir -p "$TMPD/build2"
(cd "$TMPD/build2" && env -u MAKEFLAGS PKG_CONFIG="$wrap" "$top_srcdir/configure" --with-check \
	>"$TMPD/configure2.log" 2>&1)
check "configure --with-check without Check fails" 1 "$?"
check_match "naming what is missing" 'no Check' "$(tail -n 3 "$TMPD/configure2.log")"
finish
