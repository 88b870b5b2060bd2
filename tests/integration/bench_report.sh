#!/bin/bash
# tests/integration/bench_report.sh: bench/report.py renders the committed
# measurement (bench/results.tsv, results-run.tsv) into exactly the committed
# bench/results.md and results.svg: the report cannot drift from its data.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"
need python3

python3 "$top_srcdir/bench/report.py" "$top_srcdir/bench/results.tsv" \
	--out "$TMPD" --quiet
check "report.py: exit status" 0 $?
for f in results.md results.svg; do
	if cmp -s "$top_srcdir/bench/$f" "$TMPD/$f"; then
		pass "$f: the committed one, rendered again"
	else
		fail "$f differs from bench/$f: $(diff "$top_srcdir/bench/$f" "$TMPD/$f" | head -5)"
	fi
done
finish
