"""front.py: the adapter behind a real front server, started from the exact
files of deploy/ (only their @PLACEHOLDERS@ filled in), requests over HTTP.

  nginx   deploy/nginx: nginx.conf, thanos-fcgi-upstream.conf,
          thanos-fcgi-location.conf (mount = the case's SCRIPT_NAME) and
          thanos-fcgi.conf, fastcgi_pass to thanos-fcgi --listen unix:PATH

A case runs behind a front server when everything it says can be said in
HTTP (applies()): its CGI variables are request headers (HTTP_*,
CONTENT_TYPE), it removes none, and it checks nothing only a CGI or FastCGI
client sees (the first line, the exit status, stderr, the Status header).
"""

import http.client
import os
import re
import subprocess
import time

import lab as labmod
import procs

DEPLOY = os.path.join(labmod.TOP, "deploy")
FRONTS = ("nginx",)
CGI_ONLY_WANTS = ("first_line", "first_line_match", "exit_status", "stderr_match")


def quirks(mode, case):
    """The want keys the front server `mode` changes for case."""
    return {"nginx": Nginx}[mode].QUIRKS.get(case["name"], {})


def applies(case):
    if any(k not in ("CONTENT_TYPE", "CONTENT_LENGTH") and not k.startswith("HTTP_")
           for k in case.get("env", {})):
        return False
    if case.get("unset"):
        return False
    want = case.get("want", {})
    if any(k in want for k in CGI_ONLY_WANTS):
        return False
    return "Status" not in want.get("header_count", {})


def render(src, dst, **values):
    """Copies a deploy/ template, replacing each @KEY@; a placeholder left
    unfilled is an error."""
    with open(src) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("@%s@" % k, v)
    left = sorted(set(re.findall(r"@[A-Z_]+@", text)))
    if left:
        raise AssertionError("render %s leaves %s unset" % (src, " ".join(left)))
    with open(dst, "w") as f:
        f.write(text)


def header_name(var):
    """HTTP_X_FOO_BAR -> X-Foo-Bar, CONTENT_TYPE -> Content-Type."""
    name = var[5:] if var.startswith("HTTP_") else var
    return "-".join(p.capitalize() for p in name.split("_"))


class Nginx:
    """nginx from deploy/nginx on a free port, mount `mount`, in front of
    the FastCGI socket `sock`."""

    # What nginx itself does to a case: {case name: the want keys it
    # changes}, merged over the case's own.
    QUIRKS = {
        # nginx normalises the path before it picks a location: /thanos/..
        # is not under the mount, and nginx answers its own 404
        "bad path /%2e%2e/metrics": {"status": 404},
        # a 10 kB header line is over nginx's large_client_header_buffers
        # (8k): nginx's own 400 before the adapter's 431
        "headers over the limit": {"status": 400},
        # nginx honours X-Accel-Buffering and does not pass it on
        "event stream": {"headers": {"X-Accel-Buffering": False}},
    }

    def __init__(self, lab, name, mount, sock):
        src = os.path.join(DEPLOY, "nginx")
        d = os.path.join(lab.dir, "nginx_%s_%s" % (name, mount.strip("/") or "root"))
        os.makedirs(d, exist_ok=True)
        self.port = procs.free_port()
        render(os.path.join(src, "thanos-fcgi.conf"), os.path.join(d, "thanos-fcgi.conf"))
        render(os.path.join(src, "thanos-fcgi-upstream.conf"), os.path.join(d, "thanos-fcgi-upstream.conf"),
               FCGI_ADDR="unix:" + sock)
        render(os.path.join(src, "thanos-fcgi-location.conf"), os.path.join(d, "location.conf"),
               MOUNT=mount, CONFDIR=d)
        user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        render(os.path.join(src, "nginx.conf"), os.path.join(d, "nginx.conf"), USER=user,
               PORT=str(self.port), STATEDIR=d, CONFDIR=d, LOCATION_CONF=os.path.join(d, "location.conf"))
        t = subprocess.run(["nginx", "-t", "-q", "-e", "stderr", "-p", d, "-c", os.path.join(d, "nginx.conf")],
                           capture_output=True, text=True)
        if t.returncode:
            raise AssertionError("nginx rejects the config: %s" % t.stderr[:300])
        self.proc = procs.Proc("nginx " + mount, ["nginx", "-e", "stderr", "-p", d, "-c",
                                                  os.path.join(d, "nginx.conf"), "-g", "daemon off;"],
                               os.path.join(d, "nginx.log"))
        procs.wait_for("nginx port", lambda: labmod.port_or_dead(self.proc, self.port))

    def stop(self):
        self.proc.stop()


class FrontAdapter:
    """An adapter (--listen unix:PATH, its settings as flags) behind one
    front server per mount the cases use."""

    def __init__(self, lab, mode, name, spec):
        self.lab = lab
        self.mode = mode
        self.name = name
        self.inner = labmod.Adapter(lab, "unix", name, dict(spec, settings="flags"))
        self.log = self.inner.log
        self.fronts = {}

    def last_fail(self):
        return self.inner.last_fail()

    def front(self, mount):
        if mount not in self.fronts:
            self.fronts[mount] = Nginx(self.lab, self.name, mount, self.inner.addr)
        return self.fronts[mount]

    def stop(self):
        for f in self.fronts.values():
            f.stop()
        self.inner.stop()

    def request(self, method, script, sub, env=(), unset=(), body=None, timeout=30, cut=None,
                on_first=None):
        """One HTTP request to the front server's mount `script`; the answer
        as a lab.Response with a CGI-like head (Status: CODE REASON)."""
        labmod.REQUESTS[0] += 1
        f = self.front(script)
        headers = {"Host": "www.example", "User-Agent": "thanos-fcgi-tests"}
        headers.update((header_name(k), v) for k, v in dict(env).items() if k != "CONTENT_LENGTH")
        t0 = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", f.port, timeout=timeout * procs.SLOWDOWN)
        timed_out = False
        raw = b""
        first = None
        try:
            c.putrequest(method, script + sub, skip_host=True, skip_accept_encoding=True)
            for k, v in headers.items():
                c.putheader(k, v)
            if body is not None or method in ("POST", "PUT", "PATCH"):
                c.putheader("Content-Length", str(len(body or b"")))
            c.endheaders(body or None)
            r = c.getresponse()
            head = "Status: %d %s\r\n" % (r.status, r.reason)
            # the front's own framing of the answer is not the adapter's
            head += "".join("%s: %s\r\n" % (k, v) for k, v in r.getheaders()
                            if k.lower() not in ("transfer-encoding", "connection", "keep-alive"))
            raw = head.encode("latin-1") + b"\r\n"
            n = 0
            while method != "HEAD":
                data = r.read1(65536)
                if not data:
                    break
                if first is None:
                    first = time.monotonic() - t0
                raw += data
                n += len(data)
                if cut is not None and n >= cut:
                    break
        except TimeoutError:
            timed_out = True
        finally:
            c.close()
        resp = labmod.Response(raw, None, None, time.monotonic() - t0, timed_out)
        resp.first = first
        return resp
