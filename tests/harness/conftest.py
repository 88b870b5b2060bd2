"""conftest.py: the harness's fixtures (see tests/README).

  lab       the session's lab.Lab: mocks and adapters of tests/cases/*.toml,
            in a directory kept when something failed
  tally     checks counted per mode, printed at the end
  adapters  adapters(mode, name, FLAG, VALUE..., env={}): a lab.Adapter,
            stopped at the end of the test, pass or fail
  blackhole a lab.Blackhole (a port connect() hangs on), for the test
Run by tests/harness/run.sh (make check), which takes pytest's arguments:
  HARNESS_MODES=cgi tests/harness/run.sh -k redirects
  tests/harness/run.sh --case 'E=/pub graph/'
"""

import collections
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as casemod  # noqa: E402
import lab as labmod  # noqa: E402
import procs  # noqa: E402

SPECS, CASES = casemod.load()
TALLY = collections.Counter()
FAILED = []


def binary():
    b = os.environ.get("THANOS_FCGI_BIN") or os.path.join(labmod.TOP, "build", "src", "thanos-fcgi")
    if not os.access(b, os.X_OK):
        pytest.exit("no binary at %s (set THANOS_FCGI_BIN)" % b, 2)
    return b


@pytest.fixture(scope="session")
def lab():
    d = tempfile.mkdtemp(prefix="thanos-fcgi-harness.")
    the_lab = labmod.Lab(d, binary(), SPECS)
    yield the_lab
    the_lab.close()
    if FAILED or os.environ.get("KEEP_TMP"):
        sys.stderr.write("\n# logs kept in %s\n" % d)
    else:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def tally():
    return TALLY


@pytest.fixture
def adapters(lab):
    made = []

    def one(mode, name, *flags, env=None):
        return labmod.Kept(made, lab, mode, name, {"flags": list(flags), "env": env or {}})
    yield one
    procs.stop_all(made)


@pytest.fixture
def blackhole(lab):
    b = labmod.Blackhole(lab, "blackhole")
    yield b
    b.stop()


def record(mode, checks):
    """Counts a Checks and fails the test with every failed check."""
    TALLY[mode] += checks.count
    if checks.failed:
        FAILED.append(checks.label)
        pytest.fail("%s:\n  %s" % (checks.label, "\n  ".join(checks.failed)), pytrace=False)


# Files that change the machine (test_debian_package.py installs a package),
# load all of it (test_bench_run.py) or need the static binary
# (test_static_chroot.py, make check-static): collected only when named
# (run.sh FILE, as tests/run does), never by a directory nor -k WORD.
NAMED_ONLY = ("test_debian_package.py", "test_bench_run.py", "test_static_chroot.py")


def pytest_addoption(parser):
    parser.addoption("--case", action="append", default=[], metavar="NAME",
                     help="only the case of tests/cases named NAME, exactly (repeatable)")


def deselect(config, items, keep):
    """Keeps the items keep(item) is true for; the others are deselected."""
    dropped = [i for i in items if not keep(i)]
    if dropped:
        items[:] = [i for i in items if keep(i)]
        config.hook.pytest_deselected(items=dropped)


def case_name(case):
    """A case's name: a tests/cases entry's, or a file's own case id."""
    return case.get("name") if isinstance(case, dict) else case


def pytest_collection_modifyitems(config, items):
    """Mode after mode, whatever the file: an adapter starts once a mode.
    HARNESS_MODES=cgi,listen keeps only those modes (tests/memcheck,
    make check-static); --case NAME only the cases named so (a name -k
    cannot say: "E=/pub graph/").  NAMED_ONLY files only when named."""
    def param(item, key):
        return getattr(item, "callspec", None) and item.callspec.params.get(key)
    named = {os.path.basename(a.split("::")[0]) for a in config.args}
    deselect(config, items, lambda i: i.path.name not in NAMED_ONLY or i.path.name in named)
    only = [m for m in os.environ.get("HARNESS_MODES", "").split(",") if m]
    if only:
        deselect(config, items, lambda i: param(i, "mode") in only)
    names = config.getoption("case")
    if names:
        deselect(config, items, lambda i: case_name(param(i, "case")) in names)
    order = labmod.MODES
    items.sort(key=lambda i: order.index(param(i, "mode")) if param(i, "mode") in order else 99)


def pytest_runtest_makereport(item, call):
    if call.excinfo is not None and call.when == "call":
        FAILED.append(item.nodeid)


def pytest_terminal_summary(terminalreporter):
    total = sum(TALLY.values())
    areas = [m for m in labmod.MODES if TALLY[m]] + sorted(k for k in TALLY if k not in labmod.MODES)
    per = ", ".join("%s %d" % (m, TALLY[m]) for m in areas)
    terminalreporter.write_line("# %d checks: %s" % (total, per))
    terminalreporter.write_line("# %d requests" % labmod.REQUESTS[0])
