#!/bin/bash
# tests/package/install.sh: `make install DESTDIR=...` ships the whole
# product: the program, thanos-fcgi(8) (rendering cleanly with man, naming
# every flag the installed program's --help names), the README and deploy/
# under $(docdir) as they are in the tree, and the systemd units with the
# installed program's path filled in; `make uninstall` takes it all away.

. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
need make man find cmp
: "${top_builddir:=$top_srcdir/build}"
[ -f "$top_builddir/Makefile" ] || { fail "no configured build tree in $top_builddir"; finish; }
MAKE=${MAKE:-make}

# submake ARGS...: make in the build tree, as a user would run it: not as
# a part of the `make check` that may be running this test (its MAKEFLAGS
# would print directories and ask for a jobserver this shell does not hold).
submake() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $MAKE -s --no-print-directory -C "$top_builddir" "$@"
}

# var NAME: the value of a make variable of the build tree.
var() {
	printf 'print-var-%%:\n\t@echo $($*)\n' | submake -f Makefile -f - "print-var-$1"
}

D="$TMPD/root"
submake install DESTDIR="$D" >"$TMPD/install.log" 2>&1
check "make install DESTDIR exits 0" 0 "$?"
bindir=$(var bindir)
man8dir=$(var man8dir)
docdir=$(var docdir)
unitdir=$(var systemdsystemunitdir)

BIN="$D$bindir/thanos-fcgi"
if [ -x "$BIN" ]; then pass "program in \$(bindir)"; else fail "no executable $BIN"; fi
check_match "installed program runs (--version)" '^thanos-fcgi ' "$("$BIN" --version 2>&1 | head -n 1)"

PAGE="$D$man8dir/thanos-fcgi.8"
if [ -f "$PAGE" ]; then pass "man page in \$(man8dir)"; else fail "no $PAGE"; fi
warn=$(MANWIDTH=80 man --warnings -l "$PAGE" 2>&1 >/dev/null)
check "man --warnings renders thanos-fcgi(8) without a warning" "" "$warn"
text=$(MANWIDTH=200 man -l "$PAGE" 2>/dev/null)
check_match "the page has NAME, SYNOPSIS and OPTIONS" 'NAME.*SYNOPSIS.*OPTIONS' "$(printf '%s' "$text" | tr '\n' ' ')"
# the installed program and the installed page name the same flags
flags=$("$BIN" --help | grep -Eo '^  --[a-z.-]+' | sed 's/^  //' | sort -u)
missing=""
for f in $flags; do
	printf '%s\n' "$text" | grep -qE -- "^ +$f(=|\[|,| |$)" || missing="$missing $f"
done
check "every flag of --help ($(printf '%s\n' "$flags" | wc -l)) has its entry in the page" "" "$missing"

check "README in \$(docdir)" "" "$(cmp "$top_srcdir/README" "$D$docdir/README" 2>&1)"
n=0
bad=""
while read -r f; do
	n=$((n + 1))
	cmp -s "$top_srcdir/$f" "$D$docdir/$f" || bad="$bad $f"
done < <(cd "$top_srcdir" && find deploy -path deploy/debian -prune -o -type f -print)
check "every file of deploy/ ($n) in \$(docdir)/deploy, unchanged" "" "$bad"
if [ -e "$D$docdir/deploy/debian" ]; then fail "deploy/debian (packaging) installed as documentation"; else pass "deploy/debian not installed"; fi

for u in thanos-fcgi.service thanos-fcgi-activated.service thanos-fcgi-activated.socket; do
	if [ -f "$D$unitdir/$u" ]; then pass "$u in $unitdir"; else fail "no $D$unitdir/$u"; fi
done
check "units hold no @PLACEHOLDER@" "" "$(grep -ho '@[A-Z_]*@' "$D$unitdir"/thanos-fcgi* 2>/dev/null | sort -u | tr '\n' ' ')"
check_match "thanos-fcgi.service runs the installed program on its socket" \
	"^ExecStart=$bindir/thanos-fcgi --listen unix:/run/thanos-fcgi/thanos-fcgi.sock " \
	"$(grep '^ExecStart=' "$D$unitdir/thanos-fcgi.service")"
check "thanos-fcgi-activated.service runs the installed program" \
	"ExecStart=$bindir/thanos-fcgi --threads 16" "$(grep '^ExecStart=' "$D$unitdir/thanos-fcgi-activated.service")"
check "the socket unit listens where the README says" "ListenStream=/run/thanos-fcgi.sock" \
	"$(grep '^ListenStream=' "$D$unitdir/thanos-fcgi-activated.socket")"

submake uninstall DESTDIR="$D" >"$TMPD/uninstall.log" 2>&1
check "make uninstall exits 0" 0 "$?"
check "make uninstall leaves no file" "" "$(find "$D" -type f | head -n 5 | tr '\n' ' ')"

finish
