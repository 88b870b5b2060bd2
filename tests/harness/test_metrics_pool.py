"""test_metrics_pool.py: the metrics of a pool of adapter processes, summed
in one scrape, behind nginx (deploy/nginx's files) and scraped by Debian's
real Prometheus:
  three thanos-fcgi --listen processes, one --metrics.file, behind one nginx
  upstream block (round robin): N requests spread over them, one scrape
  shows N; Prometheus scrapes the metrics path through nginx and its query
  API gives N back;
  spawn-fcgi -F 3 on one socket, one file: N requests, one scrape shows N;
  a process killed (SIGKILL): its counts stay, it leaves the gauge."""

import json
import os
import signal
import subprocess
import urllib.parse


import cases as casemod
import conftest
import e2e
import front
import lab as labmod
import procs

MP = "/-/thanos-fcgi/metrics"
N = 30


def flags(up, metrics_file):
    return ["--upstream", up.url, "--web.route-prefix", "/thanos", "--web.metrics-path", MP,
            "--metrics.file", metrics_file]


def series(text, name):
    """The value of the series `name` (with its labels) in a scrape."""
    for ln in text.splitlines():
        if ln.startswith(name + " "):
            return ln[len(name) + 1:]
    return None


def total(text, name):
    return sum(float(ln.split()[-1]) for ln in text.splitlines()
               if ln.split(" ")[0] == name or ln.startswith(name + "{"))


def traffic(c, label, base):
    """N queries (200) and 3 unknown pages (the mock's 404), one at a time."""
    ok = sum(e2e.fetch(base + "/thanos/api/v1/query?query=up").status == 200 for _ in range(N))
    nf = sum(e2e.fetch(base + "/thanos/nope%d" % i).status == 404 for i in range(1, 4))
    c.eq("%s: %d queries answered 200" % (label, N), N, ok)
    c.eq("%s: 3 unknown pages answered 404" % label, 3, nf)


def check_scrape(c, label, base, processes):
    a = e2e.fetch(base + "/thanos" + MP)
    c.eq("%s: scrape through nginx" % label, 200, a.status)
    t = a.body.decode()
    c.eq("%s: one scrape, GET 200 summed over the processes" % label, str(N),
         series(t, 'thanos_fcgi_requests_total{code="200",method="GET"}'))
    c.eq("%s: GET 404" % label, "3", series(t, 'thanos_fcgi_requests_total{code="404",method="GET"}'))
    c.eq("%s: nothing else counted (the scrapes neither)" % label, N + 3, total(t, "thanos_fcgi_requests_total"))
    c.eq("%s: upstream attempts timed" % label, str(N + 3), series(t, "thanos_fcgi_upstream_duration_seconds_count"))
    c.eq("%s: live processes" % label, str(processes), series(t, "thanos_fcgi_processes"))
    c.eq("%s: nothing in flight" % label, "0", series(t, "thanos_fcgi_requests_in_flight"))


class Scraper:
    """Debian's Prometheus scraping the metrics path through nginx every
    second."""

    def __init__(self, lab, target_port):
        d = os.path.join(lab.dir, "metrics_pool_prometheus")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: thanos-fcgi\n"
                    "    metrics_path: /thanos%s\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
                    % (MP, target_port))
        self.port = procs.free_port()
        self.proc = procs.Proc("prometheus", ["prometheus", "--config.file=" + os.path.join(d, "prometheus.yml"),
                                              "--storage.tsdb.path=" + os.path.join(d, "data"),
                                              "--web.listen-address=127.0.0.1:%d" % self.port],
                               os.path.join(d, "prometheus.log"))
        self.url = "http://127.0.0.1:%d" % self.port

    def api(self, path):
        a = e2e.fetch(self.url + path)
        try:
            return json.loads(a.body)
        except ValueError:
            return None

    def health(self):
        """[(health, lastError)] of its targets, once one is up."""
        d = self.api("/api/v1/targets")
        t = [(x["health"], x["lastError"]) for x in d["data"]["activeTargets"]] if d else []
        return t if ("up", "") in t else None

    def value(self, expr):
        d = self.api("/api/v1/query?query=" + urllib.parse.quote(expr))
        return ",".join(r["value"][1] for r in d["data"]["result"]) if d else None

    def stop(self):
        self.proc.stop()


def test_listen_pool(lab):
    """Three --listen processes, one file, behind one nginx upstream block;
    then Prometheus scrapes the sum through nginx."""
    c = casemod.Checks("metrics pool: --listen x3")
    up = labmod.Mock(lab, "metrics_pool", ["--route-prefix", "/thanos"])
    mf = os.path.join(lab.dir, "listen.metrics")
    ads = [labmod.Adapter(lab, "listen", "pool%d" % i, {"flags": flags(up, mf)}) for i in range(3)]
    ng = front.Nginx(lab, "metrics_pool", "/thanos", "; server ".join(a.addr for a in ads))
    sc = None
    try:
        base = "http://127.0.0.1:%d" % ng.port
        traffic(c, "--listen x3", base)
        check_scrape(c, "--listen x3", base, 3)
        conns = len({r["conn"] for r in up.requests()})
        c.true("--listen x3: the requests came over several adapters' upstream connections", 2 <= conns <= 3,
               "%d connections" % conns)
        sc = Scraper(lab, ng.port)
        try:
            health = procs.wait_for("the thanos-fcgi target up", sc.health)
        except procs.WaitTimeout as e:
            health = str(e)
        c.eq("prometheus: the target is up, its text parsed", [("up", "")], health)
        c.eq("prometheus: thanos_fcgi_requests_total of GET 200", str(N),
             sc.value('thanos_fcgi_requests_total{code="200",method="GET"}'))
        c.eq("prometheus: sum of thanos_fcgi_requests_total", str(N + 3), sc.value("sum(thanos_fcgi_requests_total)"))
        c.eq("prometheus: processes", "3", sc.value("thanos_fcgi_processes"))
        c.eq("prometheus: the histogram's count", str(N + 3), sc.value("thanos_fcgi_upstream_duration_seconds_count"))
        c.eq("prometheus: the mock replica up", "1", sc.value('thanos_fcgi_upstream_up{upstream="%s"}' % up.url))
    finally:
        for x in [sc, ng] + ads + [up]:
            if x:
                x.stop()
    conftest.record("metrics pool", c)


def pid_gone(pid):
    try:
        os.kill(pid, 0)
        return False
    except ProcessLookupError:
        return True


def test_spawn_pool(lab):
    """spawn-fcgi -F 3 on one socket and one file; a process killed keeps
    its counts and leaves the processes gauge."""
    c = casemod.Checks("metrics pool: spawn-fcgi -F 3")
    up = labmod.Mock(lab, "metrics_pool_spawn", ["--route-prefix", "/thanos"])
    sock, pidf = os.path.join(lab.dir, "spawn.sock"), os.path.join(lab.dir, "spawn.pids")
    subprocess.run(["spawn-fcgi", "-F", "3", "-s", sock, "-P", pidf, "--", lab.binary]
                   + flags(up, os.path.join(lab.dir, "spawn.metrics")), env=lab.clean_env, capture_output=True)
    pids = [int(x) for x in open(pidf).read().split()] if os.path.exists(pidf) else []
    ng = None
    try:
        c.eq("spawn-fcgi: three processes", 3, len(pids))
        ng = front.Nginx(lab, "metrics_pool_spawn", "/thanos", sock)
        base = "http://127.0.0.1:%d" % ng.port
        traffic(c, "spawn-fcgi -F 3", base)
        check_scrape(c, "spawn-fcgi -F 3", base, 3)
        os.kill(pids[0], signal.SIGKILL)
        procs.wait_for("the killed process gone", lambda: pid_gone(pids[0]))
        check_scrape(c, "spawn-fcgi, one process killed: its counts stay", base, 2)
    finally:
        if ng:
            ng.stop()
        for p in pids:
            try:
                os.kill(p, signal.SIGTERM)
            except ProcessLookupError:
                pass
        up.stop()
    conftest.record("metrics pool", c)
