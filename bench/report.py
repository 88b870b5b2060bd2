#!/usr/bin/env python3
"""bench/report.py: bench/run's report from what a run recorded.

    bench/report.py [--run RUN.TSV] [--out DIR] [--quiet] RESULTS.TSV

RESULTS.TSV is bench/run's results.tsv, one line per wrk run:

    group variant payload round requests dur_us bytes p50_us p99_us
    connect read write status timeout cpu_us stalled

RUN.TSV (default: results-run.tsv beside RESULTS.TSV) is the rest of the
run, one "KEY<TAB>VALUE" line each: bench/run's settings under their option
names (CONNECTIONS, ONLY, STATIC_BIN, ...), the machine and the versions
(lower-case keys), "mem VARIANT seen hwm anon file seen hwm anon file" per
adapter process (KiB, the 1 KiB then the 256 MiB answer) and "bad
VARIANT.PAYLOAD" (or VARIANT.mem) per failed check.  Without it the report
has the tables of the TSV alone.

Writes DIR/results.md and DIR/results.svg (DIR: the TSV's directory) and
prints the table of ratios and the targets.  Standard library only.
"""

import argparse
import os
import sys

FIELDS = ("group variant payload round requests dur_us bytes p50_us p99_us "
          "connect read write status timeout cpu_us stalled").split()
GROUP_ORDER = ("nginx", "lighttpd", "apache", "direct")
PAYLOAD_ORDER = ("small", "1m", "prom")
DEFAULTS = {
    "CONNECTIONS": "16", "DURATION": "5s", "WARMUP": "1s", "ROUNDS": "",
    "THREADS": "", "WORKERS": "1", "FCGID_PROCS": "", "CHAIN_WORKERS": "1",
    "SERVER_WORKERS": "2", "UPSTREAM_WORKERS": "1", "KEEPALIVE": "8",
    "WRK_THREADS": "2", "WRK_CPUS": "", "CGI_MODULE": "cgid",
    "ONLY": "", "PAYLOADS": "", "STATIC_BIN": "",
}


def fail(msg):
    sys.exit("bench/report.py: " + msg)


def read_raw(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != len(FIELDS):
                fail("%s:%d: %d fields, want %d" % (path, n, len(cols), len(FIELDS)))
            row = dict(zip(FIELDS[:4], cols[:4]))
            try:
                row.update((k, float(v)) for k, v in zip(FIELDS[4:], cols[4:]))
            except ValueError:
                fail("%s:%d: a field is not a number" % (path, n))
            rows.append(row)
    return rows


class Run:
    """The settings, facts, memory samples and failed checks of a run."""

    def __init__(self, raw, path=None):
        self.recorded = path is not None
        self.v = dict(DEFAULTS)
        self.mem = []  # (variant, [8 fields])
        self.bad = set()
        if path is not None:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    line = line.rstrip("\n")
                    if not line or line.startswith("#"):
                        continue
                    key, _, rest = line.partition("\t")
                    if key == "mem":
                        cols = rest.split("\t")
                        self.mem.append((cols[0], cols[1:9]))
                    elif key == "bad":
                        self.bad.add(rest)
                    else:
                        self.v[key] = rest
        # what the TSV tells when the record does not
        if not self.v["ONLY"]:
            self.v["ONLY"] = ",".join(g for g in GROUP_ORDER if any(r["group"] == g for r in raw))
        if not self.v["PAYLOADS"]:
            self.v["PAYLOADS"] = ",".join(p for p in PAYLOAD_ORDER if any(r["payload"] == p for r in raw))
        if not self.v["ROUNDS"]:
            self.v["ROUNDS"] = str(max((int(r["round"]) for r in raw), default=0))
        if not self.v["STATIC_BIN"] and any(r["variant"] == "apache-cgi-static" for r in raw):
            self.v["STATIC_BIN"] = "(not recorded)"
        conn = int(self.v["CONNECTIONS"])
        self.v["THREADS"] = self.v["THREADS"] or str(conn * 2)
        self.v["FCGID_PROCS"] = self.v["FCGID_PROCS"] or str(conn * 2)
        self.v.setdefault("APACHE_MPM", "prefork" if self.v["CGI_MODULE"] == "cgi" else "event")

        self.only = self.v["ONLY"].split(",")
        self.payloads = self.v["PAYLOADS"].split(",")
        cgi = self.v["CGI_MODULE"]
        static = bool(self.v["STATIC_BIN"])
        self.label = {
            "direct": "upstream directly",
            "nginx-proxy": "nginx proxy_pass",
            "nginx-chain": "nginx proxy_pass chain",
            "nginx-fcgi": "nginx fastcgi_pass -> thanos-fcgi",
            "nginx-params": "nginx fastcgi_pass params mode",
            "lighttpd-proxy": "lighttpd mod_proxy",
            "lighttpd-fcgi": "lighttpd mod_fastcgi -> thanos-fcgi",
            "apache-proxy": "Apache mod_proxy_http",
            "apache-fcgid": "Apache mod_fcgid -> thanos-fcgi",
            "apache-cgi": "Apache mod_%s -> thanos-fcgi (CGI)" % cgi,
            "apache-cgi-static": "Apache mod_%s -> thanos-fcgi (CGI, static binary)" % cgi,
        }
        self.group = {
            "nginx": ["nginx-proxy", "nginx-chain", "nginx-fcgi", "nginx-params"],
            "lighttpd": ["lighttpd-proxy", "lighttpd-fcgi"],
            "apache": ["apache-proxy", "apache-fcgid", "apache-cgi"] + (["apache-cgi-static"] if static else []),
            "direct": ["direct"],
        }
        self.groups = [g for g in GROUP_ORDER if self.want(g)]
        # pairs: adapter, native, front, what, chart label (None: not in
        # the chart, which shows thanos-fcgi against a proxy module)
        self.pairs = []
        if self.want("nginx"):
            self.pairs += [("nginx-fcgi", "nginx-proxy", "nginx", "fastcgi_pass / proxy_pass", "nginx fastcgi_pass"),
                           ("nginx-fcgi", "nginx-chain", "nginx", "fastcgi_pass / proxy_pass chain", "nginx / chain"),
                           ("nginx-params", "nginx-fcgi", "nginx", "params mode / process settings", None)]
        if self.want("lighttpd"):
            self.pairs.append(("lighttpd-fcgi", "lighttpd-proxy", "lighttpd", "mod_fastcgi / mod_proxy", "lighttpd mod_fastcgi"))
        if self.want("apache"):
            self.pairs += [("apache-fcgid", "apache-proxy", "Apache", "mod_fcgid / mod_proxy_http", "Apache mod_fcgid"),
                           ("apache-cgi", "apache-proxy", "Apache", "CGI (mod_%s) / mod_proxy_http" % cgi,
                            "Apache CGI (mod_%s)" % cgi)]
            if static:
                self.pairs += [("apache-cgi-static", "apache-proxy", "Apache", "CGI static binary / mod_proxy_http",
                                "Apache CGI static"),
                               ("apache-cgi-static", "apache-cgi", "Apache", "CGI static binary / dynamic binary", None)]
        if self.want("direct") and self.want("nginx"):
            self.pairs += [("nginx-proxy", "direct", "nginx", "proxy_pass / upstream directly", None),
                           ("nginx-fcgi", "direct", "nginx", "fastcgi_pass / upstream directly", None)]

    def want(self, group):
        return group in self.only

    def get(self, key, default=""):
        return self.v.get(key, default)


def aggregate(raw):
    """Per (variant, payload), over the rounds, as the strings the tables
    show: req/s and MiB/s averaged over the runs, p50 and p99 averaged (ms),
    errors summed (socket errors, status >= 400, stalled connections),
    server CPU per request (us) over all the runs' requests."""
    acc = {}
    for r in raw:
        a = acc.setdefault((r["variant"], r["payload"]), [0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
        secs = r["dur_us"] / 1e6
        a[0] += 1
        a[1] += r["requests"] / secs
        a[2] += r["bytes"] / secs / 1048576
        a[3] += r["p50_us"] / 1000
        a[4] += r["p99_us"] / 1000
        a[5] += r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"] + r["stalled"]
        a[6] += r["cpu_us"]
        a[7] += r["requests"]
    agg = {}
    for k, (n, rps, mib, p50, p99, err, cpu, req) in acc.items():
        agg[k] = {"rps": "%.1f" % (rps / n), "mib": "%.2f" % (mib / n), "p50": "%.3f" % (p50 / n),
                  "p99": "%.3f" % (p99 / n), "err": "%d" % err, "cpu": "%.1f" % (cpu / req if req else 0)}
    return agg


# The figures are computed from the rounded strings of the tables, so that
# every number the report shows follows from the numbers beside it.
def ratio(a, b, digits=2):
    if a == "" or b == "" or float(b) == 0:
        return "-"
    return "%.*f" % (digits, float(a) / float(b))


def delta(a, b):
    if a == "" or b == "":
        return "-"
    return "%+.2f ms" % (float(a) - float(b))


def verdict(x, op, y):
    if x in ("", "-"):
        return "n/a"
    x = float(x)
    return "ok" if (x >= y if op == ">=" else x <= y) else "**not met**"


class Report:
    def __init__(self, raw, run):
        self.run = run
        self.agg = aggregate(raw)

    def val(self, v, p, field):
        return self.agg.get((v, p), {}).get(field, "")

    def errs(self, *variants):
        t = 0
        for v in variants:
            for p in self.run.payloads:
                e = self.val(v, p, "err")
                t += int(e) if e else 0
                t += (v + "." + p) in self.run.bad
            t += (v + ".mem") in self.run.bad
        return t

    def pair_cells(self, a, b):
        g = self.val
        return [ratio(g(a, "small", "rps"), g(b, "small", "rps")),
                delta(g(a, "small", "p99"), g(b, "small", "p99")),
                ratio(g(a, "small", "cpu"), g(b, "small", "cpu")),
                ratio(g(a, "1m", "mib"), g(b, "1m", "mib")),
                delta(g(a, "1m", "p99"), g(b, "1m", "p99")),
                ratio(g(a, "1m", "cpu"), g(b, "1m", "cpu")),
                ratio(g(a, "prom", "rps"), g(b, "prom", "rps")),
                str(self.errs(a, b))]

    def chart_rows(self):
        """(label, small req/s, 1 MiB MiB/s, Prometheus req/s) ratios; a
        ratio that could not be computed is 0."""
        rows = []
        for a, b, _front, _what, label in self.run.pairs:
            if label:
                c = self.pair_cells(a, b)
                rows.append((label,) + tuple(float(x.replace("-", "0", 1)) for x in (c[0], c[3], c[6])))
        return rows

    # --- targets: (title, [(target, measured, verdict)]) ---------------------
    def target_ratio(self, text, a, b, payload, field, least, digits=2):
        r = ratio(self.val(a, payload, field), self.val(b, payload, field), digits)
        return (text, r, verdict(r, ">=", least))

    def target_p99(self, text, a, b, most):
        x, y = self.val(a, "small", "p99"), self.val(b, "small", "p99")
        d = "-" if x == "" or y == "" else "%.2f" % (float(x) - float(y))
        return (text, d + " ms", verdict(d, "<=", most))

    def targets(self):
        run, out = self.run, []
        rows = []
        if run.want("nginx"):
            rows += [self.target_ratio("small answers via nginx: ≥ 0.70× proxy_pass req/s",
                                       "nginx-fcgi", "nginx-proxy", "small", "rps", 0.70),
                     self.target_p99("small answers via nginx: p99 ≤ proxy_pass + 1 ms", "nginx-fcgi", "nginx-proxy", 1),
                     self.target_ratio("1 MiB answers via nginx: ≥ 1.0× proxy_pass MiB/s",
                                       "nginx-fcgi", "nginx-proxy", "1m", "mib", 1.0)]
        for v, m in run.mem:
            hwm1, anon1, hwm2, anon2 = int(m[1]), int(m[2]), int(m[5]), int(m[6])
            ma = "%.2f" % (max(anon1, anon2) / 1024)
            dh = "%.2f" % ((hwm2 - hwm1) / 1024)
            rows += [("%s: RssAnon ≤ 4 MiB" % v, ma + " MiB", verdict(ma, "<=", 4)),
                     ("%s: VmHWM growth 1 KiB → 256 MiB ≤ 1 MiB" % v, dh + " MiB", verdict(dh, "<=", 1))]
        if run.want("apache"):
            for v in ["apache-cgi"] + (["apache-cgi-static"] if run.get("STATIC_BIN") else []):
                c = self.val(v, "small", "rps")
                rows.append(("%s: CGI ≥ 500 req/s on small answers" % run.label[v], (c or "-") + " req/s",
                             verdict(c, ">=", 500)))
        te = sum(self.errs(*run.group[g]) for g in run.groups)
        rows.append(("zero failed requests", str(te), verdict(str(te), "<=", 0)))
        out.append(("issue 6", rows))
        if run.want("nginx"):
            out.append(("issue 12", [
                self.target_ratio("small answers via nginx: ≥ 0.90× proxy_pass chain req/s",
                                  "nginx-fcgi", "nginx-chain", "small", "rps", 0.90),
                self.target_p99("small answers via nginx: p99 ≤ proxy_pass chain + 0.5 ms", "nginx-fcgi", "nginx-chain", 0.5),
                self.target_ratio("1 MiB answers via nginx: ≥ 1.0× proxy_pass chain MiB/s (the lead kept)",
                                  "nginx-fcgi", "nginx-chain", "1m", "mib", 1.0),
                self.target_ratio("params mode: small req/s ≥ 0.98× process settings",
                                  "nginx-params", "nginx-fcgi", "small", "rps", 0.98, 3),
                self.target_ratio("params mode: 1 MiB MiB/s ≥ 0.98× process settings",
                                  "nginx-params", "nginx-fcgi", "1m", "mib", 0.98, 3)]))
        return out

    # --- results.md ----------------------------------------------------------
    def markdown(self):
        run = self.run
        md = ["# thanos-fcgi benchmark", "",
              "Ratios adapter / native from one run of `bench/run` on one machine",
              "(higher is better for throughput; Δp99 is adapter minus native; CPU/req",
              "is the server side's CPU time per request, adapter / native: lower is",
              "better, and it is the number least disturbed by other load).  The proxy_pass",
              "chain is two nginx proxy_pass in a row, as many hops as fastcgi_pass →",
              "thanos-fcgi → upstream; params mode is thanos-fcgi given its mounts per",
              "request (THANOS_FCGI_* fastcgi_param) against the same set on the process.", "",
              "| front | adapter / native | small req/s | small Δp99 | small CPU/req | 1 MiB MiB/s "
              "| 1 MiB Δp99 | 1 MiB CPU/req | Prometheus req/s | errors |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for a, b, front, what, _label in run.pairs:
            md.append(row([front, what] + self.pair_cells(a, b)))
        for title, rows in self.targets():
            md += ["", "## Targets (%s)" % title, "", "| target | measured | |", "| --- | --- | --- |"]
            md += [row(r) for r in rows]
        md += ["", "## Memory of one adapter process (KiB, from /proc/PID/status)", "",
               "VmHWM is the peak resident set; RssAnon the private memory; RssFile the",
               "shared, file-backed pages (libcurl, OpenSSL, libc: not counted against the",
               "adapter).  Sampled every ~5 ms while it relays a 1 KiB answer (sent slowly,",
               "so the process can be read) and then a 256 MiB one.", "",
               "| variant | VmHWM 1 KiB | VmHWM 256 MiB | growth | RssAnon 1 KiB | RssAnon 256 MiB | RssFile |",
               "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for v, m in run.mem:
            if m[0] != "1" or m[4] != "1":
                md.append("| %s | not seen | | | | | |" % run.label[v])
                continue
            name = run.label[v] + (" (a request failed)" if v + ".mem" in run.bad else "")
            md.append(row([name, m[1], m[5], str(int(m[5]) - int(m[1])), m[2], m[6], m[7]]))
        md += ["", "## Every variant (averages over %s round(s))" % run.get("ROUNDS"), "",
               "Absolute numbers depend on the machine and what else runs on it; only the",
               "ratios above are meant to be compared between runs.", "",
               "| variant | answer | req/s | MiB/s | p50 ms | p99 ms | server CPU µs/req | errors |",
               "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for g in run.groups:
            for v in run.group[g]:
                for p in run.payloads:
                    cells = [run.label[v], p] + [self.val(v, p, f) for f in ("rps", "mib", "p50", "p99", "cpu")]
                    cells.append(self.val(v, p, "err") + (" + failed check" if v + "." + p in run.bad else ""))
                    md.append(row(cells))
        md += ["", "## Run", ""] + self.run_lines()
        return "\n".join(md) + "\n"

    def run_lines(self):
        run, g = self.run, self.run.get
        cmd = " ".join("%s=%s" % (k, g(k)) for k in ("CONNECTIONS", "DURATION", "WARMUP", "ROUNDS", "THREADS",
                                                     "WORKERS", "FCGID_PROCS", "CHAIN_WORKERS"))
        if not run.recorded:
            return ["- %s round(s); the settings, memory, failed checks and machine were not recorded "
                    "(no results-run.tsv)" % g("ROUNDS")]
        lines = ["- command: `%s bench/run`" % cmd]
        threads, workers = g("THREADS"), g("WORKERS")
        lines += [
            "- answers: small = %s-byte instant query, 1m = 1 MiB range query (static files from an upstream nginx "
            "with %s worker(s)), prom = `up` from Prometheus %s" % (g("size_small"), g("UPSTREAM_WORKERS"), g("prometheus")),
            "- thanos-fcgi: %s, commit %s, built with CFLAGS='-O2 -g'; %s thread(s) x %s process(es) behind nginx and "
            "lighttpd, 1 thread x up to %s processes under mod_fcgid" % (g("version"), g("commit"), threads, workers,
                                                                         g("FCGID_PROCS")),
            "- " + g("libraries")]
        if g("STATIC_BIN"):
            lines.append("- CGI static binary: %s (%s bytes), %s" % (g("STATIC_BIN"), g("static_bytes"),
                                                                    g("static_libraries")))
        if run.want("nginx"):
            lines.append("- nginx proxy_pass chain: a front and a second nginx, %s worker(s) each, keep-alive pools "
                         "of %s; params mode: one more thanos-fcgi (%s thread(s) x %s process(es)) with no mount "
                         "settings of its own, given both mounts per request as THANOS_FCGI_* fastcgi_param"
                         % (g("CHAIN_WORKERS"), g("KEEPALIVE"), threads, workers))
        cpus = g("WRK_CPUS")
        lines += [
            "- servers: %s (%s workers, keepalive %s), lighttpd %s, Apache %s (mpm_%s), %s (%s threads%s)"
            % (g("nginx"), g("SERVER_WORKERS"), g("KEEPALIVE"), g("lighttpd"), g("apache"), g("APACHE_MPM"),
               g("wrk"), g("WRK_THREADS"), ", CPUs " + cpus if cpus else ""),
            "- machine: %s CPU(s), %s, %s RAM, Linux %s, %s" % (g("cpus"), g("cpu_model"), g("ram"), g("kernel"),
                                                              g("os")),
            "- server CPU per request from %s, wrk excluded"
            % ("a cgroup (%s) per server group" % g("cpu_accounting") if g("cpu_accounting")
               else "/proc/PID/stat of the server processes (CGI children only once reaped)"),
            "- load average before / after: %s / %s" % (g("load_start"), g("load_end")),
            "- date: %s, %s s" % (g("date"), g("seconds"))]
        return lines

    # --- what bench/run prints ----------------------------------------------
    def summary(self):
        g = self.run.get
        fmt = ("%-9s", "%-42s", "%6s", "%10s", "%6s", "%6s", "%10s", "%6s", "%6s", "%6s")
        if self.run.recorded:
            how = "%s connections, %s, %s round(s)" % (g("CONNECTIONS"), g("DURATION"), g("ROUNDS"))
        else:
            how = "%s round(s)" % g("ROUNDS")
        out = ["", "thanos-fcgi / native, same run (%s):" % how]
        out.append(padded(fmt, ["front", "adapter / native", "small", "Δp99", "cpu", "1MiB", "Δp99", "cpu", "prom",
                                "errors"]))
        for a, b, front, what, _label in self.run.pairs:
            out.append(padded(fmt, [front, what] + self.pair_cells(a, b)))
        for title, rows in self.targets():
            out += ["", "Targets (%s):" % title] + ["%s: %s %s" % r for r in rows]
        return "\n".join(out) + "\n\n"


def row(cells):
    return "| " + " | ".join(cells) + " |"


def padded(fmt, cells):
    """printf(3)'s widths: they count bytes, not characters."""
    out = []
    for f, c in zip(fmt, cells):
        width = int(f.strip("%-s"))
        pad = " " * max(0, width - len(c.encode("utf-8")))
        out.append(c + pad if f.startswith("%-") else pad + c)
    return " ".join(out)


# --- results.svg --------------------------------------------------------------
SERIES = (("small answer (req/s)", "#4c72b0"), ("1 MiB answer (MiB/s)", "#55a868"),
          ("Prometheus query (req/s)", "#c44e52"))
# horizontal lines: value, colour, dash, width, label, label on the right
LINES = ((1.0, "#222222", None, 1.5, "1.0: as fast as native", False),
         (0.7, "#aa3333", "4,3", 1, "target, small: 0.70", False),
         (0.9, "#aa7733", "1.5,2.5", 1, "target, small vs chain: 0.90", True))


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def chart(rows, width=960, height=520):
    """A clustered bar chart of the ratios: one cluster per pair, one bar per
    answer, the targets as lines; 1.2 at least on the y axis."""
    left, right, top, bottom = 72, 25, 54, 90
    pw, ph = width - left - right, height - top - bottom
    top_value = max([1.2] + [v for r in rows for v in r[1:]])
    step = next(s for s in (0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 1e9) if top_value / s <= 8)
    ticks = 1
    while ticks * step < top_value - 1e-9:
        ticks += 1
    ymax = ticks * step

    def y(v):
        return top + ph - v / ymax * ph

    s = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
         'font-family="sans-serif" font-size="12">' % (width, height, width, height),
         '<title>thanos-fcgi / native: bench/results.md</title>',
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%g" y="28" text-anchor="middle">thanos-fcgi / native proxy module or proxy_pass chain '
         '(same run; 1.0 = as fast)</text>' % (left + pw / 2),
         '<text transform="translate(18 %g) rotate(-90)" text-anchor="middle">ratio</text>' % (top + ph / 2)]
    for i in range(ticks + 1):
        v = i * step
        label = ("%.2f" % v).rstrip("0").rstrip(".")
        if i:
            s.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dddddd" stroke-dasharray="2,4"/>'
                     % (left, y(v), left + pw, y(v)))
        s.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="black"/>' % (left - 6, y(v), left, y(v)))
        s.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 10, y(v) + 4, label))
    n = max(len(rows), 1)
    slot = pw / n
    bar = slot / (len(SERIES) + 1) * 0.9
    gap = slot / (len(SERIES) + 1) * 0.1
    for i, r in enumerate(rows):
        x0 = left + i * slot + slot / (len(SERIES) + 1) / 2
        for j, (name, colour) in enumerate(SERIES):
            v = r[1 + j]
            x = x0 + j * (bar + gap)
            s.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.85" '
                     'stroke="#333333"><title>%s, %s: %.2f</title></rect>'
                     % (x, y(v), bar, y(0) - y(v), colour, esc(r[0]), esc(name), v))
        s.append('<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>' % (left + (i + 0.5) * slot, y(0) + 20,
                                                                            esc(r[0])))
    for v, colour, dash, w, label, at_right in LINES:
        s.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="%g"%s/>'
                 % (left, y(v), left + pw, y(v), colour, w, ' stroke-dasharray="%s"' % dash if dash else ""))
        x = left + pw - 0.01 * pw if at_right else left + 0.01 * pw
        s.append('<text x="%.1f" y="%.1f" fill="%s" font-size="10"%s>%s</text>'
                 % (x, y(v) - 5, colour, ' text-anchor="end"' if at_right else "", esc(label)))
    s.append('<polyline points="%d,%d %d,%.1f %d,%.1f" fill="none" stroke="black"/>'
             % (left, top, left, y(0), left + pw, y(0)))
    kx = left + pw / 2 - len(SERIES) * 250 / 2
    for j, (name, colour) in enumerate(SERIES):
        x = kx + j * 250
        s.append('<text x="%.1f" y="%d" text-anchor="end">%s</text>' % (x + 170, height - 22, esc(name)))
        s.append('<rect x="%.1f" y="%d" width="42" height="9" fill="%s" fill-opacity="0.85" stroke="#333333"/>'
                 % (x + 180, height - 31, colour))
    s.append("</svg>")
    return "\n".join(s) + "\n"


def main():
    ap = argparse.ArgumentParser(description="bench/run's report (results.md, results.svg) from its TSV")
    ap.add_argument("tsv", help="results.tsv: one line per wrk run")
    ap.add_argument("--run", help="the rest of the run (default: results-run.tsv beside the TSV, if there)")
    ap.add_argument("--out", help="where results.md and results.svg go (default: the TSV's directory)")
    ap.add_argument("--quiet", action="store_true", help="print nothing")
    args = ap.parse_args()
    raw = read_raw(args.tsv)
    run_path = args.run
    if run_path is None:
        run_path = os.path.join(os.path.dirname(args.tsv), "results-run.tsv")
        if not os.path.exists(run_path):
            run_path = None
    rep = Report(raw, Run(raw, run_path))
    out = args.out or os.path.dirname(args.tsv) or "."
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.md"), "w", encoding="utf-8") as f:
        f.write(rep.markdown())
    with open(os.path.join(out, "results.svg"), "w", encoding="utf-8") as f:
        f.write(chart(rep.chart_rows()))
    if not args.quiet:
        sys.stdout.write(rep.summary())


if __name__ == "__main__":
    main()
