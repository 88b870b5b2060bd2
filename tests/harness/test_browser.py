"""test_browser.py: the browser test.

A real Prometheus (Debian's prometheus, --web.route-prefix=/thanos,
--web.external-url .../thanos) behind lighttpd + mod_fastcgi + thanos-fcgi
mounted at /thanos with exactly deploy/lighttpd/lighttpd.conf and
50-thanos-fcgi.conf (lighttpd starts the adapter itself, bin-path).
Headless Debian Chromium, driven by playwright-core (tests/e2e/browser.mjs),
opens the bare prefix, lands on the graph page, runs `up` and sees the
result, with zero failed requests, zero answers >= 400 and zero console
errors.  Then the same through a read-only mount (nginx,
deploy/nginx/thanos-fcgi-location-read-only.conf, thanos-fcgi --listen):
PUT /-/quit is the adapter's 403 and the UI and the query still work there.
The screenshots go to browser.png and browser-read-only.png in the build
tree ($top_builddir, else the current directory).

What it needs and is missing it installs: Debian's chromium, nodejs and npm
(apt-get, as root), and playwright-core from tests/e2e/package-lock.json
(npm ci) into tests/e2e/.node in the build tree (the source tree may be
read-only: distcheck), again only when the lockfile changes."""

import hashlib
import os
import shutil
import subprocess

import pytest

import cases as casemod
import conftest
import e2e
import front
import lab as labmod
import procs

HERE = os.path.join(labmod.TOP, "tests", "e2e")
OUT = os.environ.get("top_builddir") or os.getcwd()
# browser.mjs's own watchdog (BROWSER_TOTAL_TIMEOUT_MS, 90 s) ends it first
BROWSER_GUARD = 100 * procs.SLOWDOWN


def apt_install(*pkgs):
    if os.getuid() != 0:
        pytest.fail("missing %s, and not root to apt-get install it" % " ".join(pkgs))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-qq"] + list(pkgs), env=env, capture_output=True).returncode:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        p = subprocess.run(["apt-get", "install", "-y", "-qq"] + list(pkgs), env=env, capture_output=True, text=True)
        if p.returncode:
            pytest.fail("apt-get install -y %s failed: %s" % (" ".join(pkgs), p.stdout[-500:] + p.stderr[-500:]))


def node_dir(lab):
    """A folder whose node_modules holds playwright-core at the lockfile's
    version; installed (npm ci, staged and renamed) when it does not."""
    d = os.path.join(OUT, "tests", "e2e", ".node")
    try:
        os.makedirs(d, exist_ok=True)
    except OSError:
        d = os.path.join(lab.dir, "node")
    with open(os.path.join(HERE, "package-lock.json"), "rb") as f:
        lock = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(d, ".lock-sha256")
    have = os.path.exists(stamp) and open(stamp).read().strip() == lock
    if have and os.path.exists(os.path.join(d, "node_modules", "playwright-core", "package.json")):
        return d
    stage = "%s.tmp.%d" % (d, os.getpid())
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)
    for x in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, x), stage)
    p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=stage,
                       capture_output=True, text=True, timeout=300)
    if p.returncode:
        shutil.rmtree(stage, ignore_errors=True)
        pytest.fail("npm ci of playwright-core failed: %s" % (p.stdout + p.stderr)[-800:])
    with open(os.path.join(stage, ".lock-sha256"), "w") as f:
        f.write(lock + "\n")
    shutil.rmtree(d, ignore_errors=True)
    os.rename(stage, d)
    return d


@pytest.fixture(scope="module")
def browser(lab):
    if not os.access("/usr/bin/chromium", os.X_OK):
        apt_install("chromium")
    for tool, pkg in (("node", "nodejs"), ("npm", "npm")):
        if not shutil.which(tool):
            apt_install(pkg)
    return node_dir(lab)


@pytest.fixture(scope="module")
def prom(lab):
    d = os.path.join(lab.dir, "browser")
    os.makedirs(d, exist_ok=True)
    p = e2e.Prometheus(d, "/thanos")
    try:
        p.wait()
        yield "http://127.0.0.1:%d" % p.port
    finally:
        p.stop()


def run_browser(c, lab, nodes, label, url, shot):
    """browser.mjs on url, its checks as c's (prefixed with label), the
    screenshot to shot."""
    if os.path.exists(shot):
        os.unlink(shot)
    env = dict(os.environ, BROWSER_NODE_DIR=nodes, TMPD=lab.dir)
    try:
        p = subprocess.run(["node", os.path.join(HERE, "browser.mjs"), url, shot], env=env, capture_output=True,
                           text=True, timeout=BROWSER_GUARD)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timed out", (e.stdout or b"").decode(), (e.stderr or b"").decode()
    for line in out.splitlines():
        if line.startswith("ok - "):
            c.true(label + line[5:], True)
        elif line.startswith("not ok - "):
            c.true(label + line[9:], False)
        elif line.startswith("# "):
            print(line)
    c.eq("%sbrowser.mjs exits 0 (stderr: %s)" % (label, err.strip()[-300:]), 0, rc)
    c.true("%sa screenshot at %s" % (label, shot), os.path.exists(shot) and os.path.getsize(shot) > 0)


def test_browser_lighttpd(lab, browser, prom):
    """Through lighttpd spawning the adapter: the UI, a query, no failure."""
    c = casemod.Checks("browser: lighttpd")
    lt = front.Lighttpd(lab, "browser", "/thanos", ["--upstream", prom, "--web.route-prefix", "/thanos",
                                                    "--upstream.root-path", ""])
    try:
        url = "http://127.0.0.1:%d/thanos" % lt.port
        procs.wait_for("Prometheus through lighttpd + thanos-fcgi",
                       lambda: e2e.fetch(url + "/api/v1/query?query=up").status == 200)
        run_browser(c, lab, browser, "", url, os.path.join(OUT, "browser.png"))
    finally:
        lt.stop()
    conftest.record("browser", c)


def test_browser_read_only(lab, browser, prom):
    """Through nginx's read-only mount: PUT /-/quit is the adapter's 403,
    and the UI and the query still work."""
    c = casemod.Checks("browser: read-only mount")
    a = labmod.Adapter(lab, "unix", "browser_ro", {"flags": ["--upstream", prom, "--web.route-prefix", "/thanos",
                                                             "--upstream.root-path="]})
    ng = front.Nginx(lab, "browser_ro", "/thanos", a.addr, "thanos-fcgi-location-read-only.conf",
                     FULL_MOUNT="/thanos-admin", ALLOW="127.0.0.1")
    try:
        url = "http://127.0.0.1:%d/thanos" % ng.port
        q = e2e.fetch(url + "/-/quit", "PUT")
        c.match("read-only mount: PUT /-/quit is the adapter's 403, not Prometheus's",
                r"^403 thanos-fcgi: read-only: PUT refused here", "%d %s" % (q.status, q.short()))
        run_browser(c, lab, browser, "read-only mount: ", url, os.path.join(OUT, "browser-read-only.png"))
    finally:
        ng.stop()
        a.stop()
    conftest.record("browser", c)
