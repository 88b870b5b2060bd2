"""test_bench_run.py: bench/run itself, which is built on this harness
(procs, lab, front, e2e) and so breaks when they change (tests/run, after
make check; not make check: it loads both cores for a minute, which the
parallel suites must not share).

  test_sessions     bench/run --hold: every server it starts shares its
                    session, Apache alone has its own (the CPU is shared
                    per session under autogroup scheduling; one session
                    per server measured the adapter 40% slower)
  test_quick_run    one short round of every variant: its correctness
                    checks pass, every variant's row has requests and no
                    error, the report is written

  sh tests/harness/run.sh tests/harness/test_bench_run.py
"""

import os
import re
import sys

import conftest
import lab as labmod
import procs
from cases import Checks

AREA = "bench run"
RUN = os.path.join(labmod.TOP, "bench", "run")
QUICK = ["--rounds=1", "--duration=1s", "--warmup=0", "--memory=0", "--payloads=small", "--no-install=1"]
# results.tsv: VARIANT GROUP... the columns bench/report.py reads
COL_VARIANT, COL_REQUESTS, COL_ERRORS = 1, 4, slice(9, 14)


def bench(tmp_path, name, *args):
    """bench/run on the harness's binary, its output in tmp_path/NAME.log."""
    argv = [sys.executable, RUN, "--bin", conftest.binary(), "--out", str(tmp_path / "out")] + QUICK + list(args)
    return procs.Proc(name, argv, str(tmp_path / (name + ".log")))


def sessions(tmp):
    """{pid: (sid, argv0)} of every process whose command line names tmp."""
    found = {}
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().decode("utf-8", "replace").split("\0")
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except (OSError, ValueError):
            continue
        if any(tmp in a for a in argv):
            # nginx writes "nginx: master process nginx -p ..." over its argv
            name = os.path.basename(argv[0].split(" ")[0]).rstrip(":")
            found[int(d)] = (int(stat.rsplit(")", 1)[1].split()[3]), name)
    return found


def test_sessions(tmp_path):
    c = Checks("bench run: sessions")
    b = bench(tmp_path, "hold", "--hold=1", "--payloads=small,prom")
    try:
        text = b.wait_log(r"^temporary directory: ") and b.log_text()
        tmp = re.search(r"^temporary directory: (\S+);", text, re.M).group(1)
        found = sessions(tmp)
        apache = {p: s for p, (s, a) in found.items() if a == "apache2"}
        rest = {p: (s, a) for p, (s, a) in found.items() if s not in apache.values()}
        c.true("apache2 runs", bool(apache), str(sorted(found.values())))
        c.true("apache2 has a session of its own", all(s != b.pid and s in apache for s in apache.values()),
               str(apache))
        for name in ("nginx", "lighttpd", "prometheus", "tf-nginx", "tf-lighttpd"):
            mine = [(p, s) for p, (s, a) in rest.items() if a.startswith(name)]
            c.true("%s runs" % name, bool(mine), str(sorted(set(a for s, a in found.values()))))
            c.true("%s in bench/run's session" % name, all(s == b.pid for p, s in mine), str(mine))
        os.unlink(os.path.join(tmp, "hold"))
        c.eq("bench/run --hold: exit status once hold is removed", 0, b.wait_exit())
        c.true("its temporary directory is removed", not os.path.exists(tmp), tmp)
    finally:
        b.stop()
    conftest.record(AREA, c)


def test_quick_run(tmp_path):
    c = Checks("bench run: one quick round")
    b = bench(tmp_path, "quick")
    try:
        c.eq("bench/run: exit status (%s)" % b.log_text()[-300:], 0, b.wait_exit(procs.GUARD * 10))
    finally:
        b.stop()
    out = tmp_path / "out"
    rows = [r.split("\t") for r in (out / "results.tsv").read_text().splitlines()] \
        if (out / "results.tsv").exists() else []
    seen = {r[COL_VARIANT] for r in rows}
    for v in ("nginx-proxy", "nginx-chain", "nginx-fcgi", "nginx-params", "lighttpd-proxy", "lighttpd-fcgi",
              "apache-proxy", "apache-fcgid", "apache-cgi", "direct"):
        c.true("results.tsv: a row of %s" % v, v in seen, sorted(seen))
    for r in rows:
        c.true("%s: requests served" % r[COL_VARIANT], int(r[COL_REQUESTS]) > 0, r)
        c.true("%s: no wrk error" % r[COL_VARIANT], all(x == "0" for x in r[COL_ERRORS]), r)
    run = (out / "results-run.tsv").read_text() if (out / "results-run.tsv").exists() else ""
    c.eq("results-run.tsv: failed correctness checks", [], re.findall(r"^bad\t(.*)$", run, re.M))
    c.true("results.md written", (out / "results.md").exists())
    conftest.record(AREA, c)
