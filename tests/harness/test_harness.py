"""test_harness.py: the harness's own promises, through run.sh as a
newcomer runs it.  A case added to one data file runs in every adapter
mode and behind every front server, and fails there when its want is
wrong; --case picks a case by its exact name; HARNESS_MODES keeps those
modes; the NAMED_ONLY files are never collected by -k alone."""

import os
import re
import shutil
import subprocess

import conftest
import lab as labmod
import procs
from cases import Checks

RUN = os.path.join(labmod.TOP, "tests", "harness", "run.sh")
ADDED = '''
[[case]]
name = "added: label values"
path = "/api/v1/label/job/values"
want.status = %d
want.body_from_upstream = { same = true }
'''


def run(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    e.update(THANOS_FCGI_BIN=conftest.binary(), **(env or {}))
    p = subprocess.run(["sh", RUN] + list(args), capture_output=True, text=True, env=e, timeout=procs.GUARD * 4)
    return p.returncode, p.stdout + p.stderr


def collected(*args, env=None):
    """The ids run.sh --collect-only lists."""
    _, out = run("--collect-only", *args, env=env)
    return [line for line in out.splitlines() if "::" in line]


def per_mode(out):
    """{mode: checks} of the summary line "# N checks: cgi 2, ..."."""
    m = re.search(r"^# \d+ checks: (.*)$", out, re.M)
    return dict((k, int(v)) for k, v in re.findall(r"(\w+) (\d+)", m.group(1))) if m else {}


def with_case(tmp_path, status, text=ADDED, into="api.toml"):
    """HARNESS_CASES: a copy of tests/cases with text (% status) added to
    into."""
    d = tmp_path / ("cases-%d-%s" % (status, into))
    shutil.copytree(os.path.join(labmod.TOP, "tests", "cases"), d)
    with open(d / into, "a") as f:
        f.write(text % status)
    return {"HARNESS_CASES": str(d)}


def test_a_wrong_case_is_refused(tmp_path):
    """A key the runner does not know, or a name another file has, stops
    the run with the file named: never ignored."""
    c = Checks("harness: a wrong case")
    rc, out = run("--collect-only", "test_cases.py", env=with_case(tmp_path, 200, ADDED.replace("path", "paht")))
    c.true("an unknown key: refused, named (exit %d)" % rc, rc != 0 and "unknown keys ['paht']" in out, out[-300:])
    rc, out = run("--collect-only", "test_cases.py", env=with_case(tmp_path, 200, ADDED.replace(
        "added: label values", "E=/pub graph/"), into="settings.toml"))
    c.true("a name of another file's case: refused (exit %d)" % rc,
           rc != 0 and "a second case named 'E=/pub graph/'" in out, out[-300:])
    empty = tmp_path / "none"
    empty.mkdir()
    rc, out = run("--collect-only", "test_cases.py", env={"HARNESS_CASES": str(empty)})
    c.true("a directory with no case files: refused (exit %d)" % rc, rc != 0 and "no case files" in out, out[-300:])
    conftest.record("harness", c)


def test_an_added_case_runs_everywhere(tmp_path):
    c = Checks("harness: an added case")
    rc, out = run("--case", "added: label values", env=with_case(tmp_path, 200))
    c.eq("run.sh --case: exit status (%s)" % out[-300:], 0, rc)
    modes = per_mode(out)
    c.eq("it ran in every mode and behind every server", list(labmod.MODES), list(modes))
    c.true("checks in each", all(v > 0 for v in modes.values()), repr(modes))
    c.match("one test per mode passed", r"^%d passed" % len(labmod.MODES), out)
    rc, out = run("--case", "added: label values", env=with_case(tmp_path, 299))
    c.eq("a wrong want: exit status", 1, rc)
    c.match("a wrong want: it fails in every mode", r"^%d failed" % len(labmod.MODES), out)
    conftest.record("harness", c)


def test_selection():
    c = Checks("harness: selection")
    ids = collected("--case", "E=/pub graph/")
    c.true("--case: the case's own tests", len(ids) > 0 and all(i.endswith("-E=/pub graph/]") for i in ids),
           repr(ids[:4]))
    c.true("--case: in the adapter's modes", all(any("[%s-" % m in i for i in ids) for m in labmod.ADAPTER_MODES),
           repr(ids))
    c.eq("--case with no such case: pytest's exit 5", 5, run("--case", "no such case")[0])
    ids = collected("test_cases.py", env={"HARNESS_MODES": "cgi"})
    c.true("HARNESS_MODES=cgi: cgi only", len(ids) > 0 and all("[cgi-" in i for i in ids), repr(ids[:4]))
    ids = collected("-k", "redirects")
    c.true("-k alone: among the cases, flows and deployments only",
           len(ids) > 0 and all(i.split("::")[0] in ("test_cases.py", "test_flows.py", "test_e2e.py") for i in ids),
           repr(sorted(set(i.split("::")[0] for i in ids))))
    ids = collected(os.path.dirname(RUN), "-k", "test")
    for name in conftest.NAMED_ONLY:
        c.true("the harness directory: %s not collected" % name, not any(i.startswith(name) for i in ids))
    c.true("named: test_bench_run.py collected", len(collected("test_bench_run.py")) > 0)
    conftest.record("harness", c)
