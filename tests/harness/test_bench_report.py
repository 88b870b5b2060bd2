"""test_bench_report.py: bench/report.py renders the committed measurement
(bench/results.tsv, results-run.tsv) into exactly the committed
bench/results.md and results.svg: the report cannot drift from its data."""

import difflib
import os
import subprocess
import sys

import conftest
import lab as labmod
import procs
from cases import Checks

BENCH = os.path.join(labmod.TOP, "bench")


def test_the_committed_report_rendered_again(tmp_path):
    c = Checks("bench report")
    p = subprocess.run([sys.executable, os.path.join(BENCH, "report.py"), os.path.join(BENCH, "results.tsv"),
                        "--out", str(tmp_path), "--quiet"], capture_output=True, text=True, timeout=procs.GUARD)
    c.eq("report.py: exit status (%s)" % p.stderr.strip()[-200:], 0, p.returncode)
    for name in ("results.md", "results.svg"):
        with open(os.path.join(BENCH, name), "rb") as f:
            want = f.read()
        got_path = tmp_path / name
        got = got_path.read_bytes() if got_path.exists() else b""
        diff = difflib.unified_diff(want.decode().splitlines(), got.decode().splitlines(),
                                    "bench/" + name, "rendered", lineterm="", n=0)
        c.true("%s: the committed one, rendered again" % name, want == got, "\n".join(list(diff)[:8]))
    conftest.record("bench report", c)
