"""front.py: the adapter behind a real front server, started from the exact
files of deploy/ (only their @PLACEHOLDERS@ filled in), requests over HTTP.

  nginx     deploy/nginx: nginx.conf, thanos-fcgi-upstream.conf,
            thanos-fcgi-location.conf (mount = the case's SCRIPT_NAME) and
            thanos-fcgi.conf, fastcgi_pass to thanos-fcgi --listen unix:PATH
  lighttpd  deploy/lighttpd: lighttpd.conf and 50-thanos-fcgi.conf (mount
            /thanos): lighttpd spawns the adapter itself (bin-path), its
            settings in bin-environment, the others after bin-path
  apache_fcgid, apache_cgi
            deploy/apache-fcgid (httpd.conf, thanos-fcgi.conf: mod_fcgid
            spawns the adapter, FcgidInitialEnv) and deploy/apache-cgi
            (httpd.conf, thanos-cgi.conf: mod_cgid, SetEnv), mount /thanos;
            only for adapters whose settings those files carry (upstream,
            route prefix, root paths)
  shared_hosting
            deploy/shared-hosting: httpd.conf, and htdocs/thanos/thanos.cgi
            with htaccess as its .htaccess (SetEnv, RewriteRule to
            thanos.cgi/$1), the same adapters

A case runs behind a front server when everything it says can be said in
HTTP (applies()): its CGI variables are request headers (HTTP_*,
CONTENT_TYPE), it removes none, and it checks nothing only a CGI or FastCGI
client sees (the first line, the exit status, stderr, the Status header).
"""

import grp
import http.client
import os
import pwd
import re
import shutil
import subprocess
import time

import lab as labmod
import procs

DEPLOY = os.path.join(labmod.TOP, "deploy")
FRONTS = ("nginx", "lighttpd")
CGI_ONLY_WANTS = ("first_line", "first_line_match", "exit_status", "stderr_match")


def quirks(mode, case):
    """What the front server `mode` changes in case: want keys (None: the
    check does not apply), and "upstream" for the case's upstream table."""
    return SERVERS[mode].QUIRKS.get(case["name"], {})


def applies_to(mode, case, adapters):
    """Whether case can run behind the front server `mode` (adapters: the
    adapter specs by name)."""
    srv = SERVERS[mode]
    if not applies(case):
        return False
    if not srv.mounts_any and case.get("script", "/thanos") != "/thanos":
        return False
    flags = adapters[case.get("adapter", "A")].get("flags", [])
    return srv.any_flags or all(f in srv.SNIPPET_ENV for f in flags[0::2])


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


def replace_line(path, line, replacement):
    """Replaces the one `line` of the rendered file path; its absence is an
    error (deploy/ changed under the test)."""
    with open(path) as f:
        text = f.read()
    if text.count(line) != 1:
        raise AssertionError("%s: no single %r to replace" % (path, line))
    with open(path, "w") as f:
        f.write(text.replace(line, replacement))


def header_name(var):
    """HTTP_X_FOO_BAR -> X-Foo-Bar, CONTENT_TYPE -> Content-Type."""
    name = var[5:] if var.startswith("HTTP_") else var
    return "-".join(p.capitalize() for p in name.split("_"))


class Nginx:
    """nginx from deploy/nginx on a free port, mount `mount`, in front of
    the FastCGI socket `sock`."""

    mounts_any = True  # the mount is a placeholder of the location file
    any_flags = True   # the adapter is ours: any settings
    spawns = False

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

    def __init__(self, lab, name, mount, sock, location="thanos-fcgi-location.conf", access_log=True,
                 **values):
        """sock: the adapter's socket path, or FastCGI address ("unix:PATH",
        "HOST:PORT"); access_log=False: nginx.conf's access_log off (a load
        test's minutes would write gigabytes); values fill the location
        file's other placeholders."""
        src = os.path.join(DEPLOY, "nginx")
        addr = "unix:" + sock if sock.startswith("/") else sock
        d = os.path.join(lab.dir, "nginx_%s_%s" % (name, mount.strip("/") or "root"))
        os.makedirs(d, exist_ok=True)
        self.dir = d  # nginx's prefix: its html/ is the default root
        self.port = procs.free_port()
        render(os.path.join(src, "thanos-fcgi.conf"), os.path.join(d, "thanos-fcgi.conf"))
        render(os.path.join(src, "thanos-fcgi-upstream.conf"), os.path.join(d, "thanos-fcgi-upstream.conf"),
               FCGI_ADDR=addr)
        render(os.path.join(src, location), os.path.join(d, "location.conf"),
               MOUNT=mount, CONFDIR=d, **values)
        user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        render(os.path.join(src, "nginx.conf"), os.path.join(d, "nginx.conf"), USER=user,
               PORT=str(self.port), STATEDIR=d, CONFDIR=d, LOCATION_CONF=os.path.join(d, "location.conf"))
        if not access_log:
            replace_line(os.path.join(d, "nginx.conf"), "access_log %s/access.log;" % d, "access_log off;")
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


class Lighttpd:
    """lighttpd from deploy/lighttpd on a free port, spawning the adapter
    with the settings `flags` (mount /thanos, fixed in the snippet)."""

    mounts_any = False
    any_flags = True  # the ones the snippet has no line for go after bin-path
    spawns = True
    SNIPPET_ENV = {"--upstream": "UPSTREAM", "--web.route-prefix": "ROUTE_PREFIX",
                   "--upstream.root-path": "ROOT_PATHS"}
    QUIRKS = {
        # lighttpd resolves a ".." right after the mount (decoded, %2f or
        # not) before it matches the mount: /thanos/.. is not under
        # /thanos, and lighttpd answers its own 404 (the access log shows
        # 341 bytes, its page); the upstream is still never reached
        "bad path /%2e%2e/metrics": {"status": 404},
        "bad path /..%2f..%2fmetrics": {"status": 404},
    }

    def __init__(self, lab, name, mount, flags, snippet="50-thanos-fcgi.conf", **values):
        """values fill (or override) the snippet's placeholders."""
        src = os.path.join(DEPLOY, "lighttpd")
        extra = values
        d = os.path.join(lab.dir, "lighttpd_%s" % name)
        os.makedirs(os.path.join(d, "htdocs"), exist_ok=True)
        self.port = procs.free_port()
        values = {"ROOT_PATHS": "/metrics,/-/healthy,/-/ready", "ROUTE_PREFIX": "/"}
        rest = []
        for f, v in zip(flags[0::2], flags[1::2]):
            if f in self.SNIPPET_ENV:
                values[self.SNIPPET_ENV[f]] = v
            else:
                rest += [f, v]
        values.update(extra)
        if any(" " in a for a in rest + [lab.binary]):
            raise AssertionError("bin-path is split at spaces: %r" % rest)
        render(os.path.join(src, snippet), os.path.join(d, "mount.conf"),
               BIN=" ".join([lab.binary] + rest), RUNDIR=d, **values)
        render(os.path.join(src, "lighttpd.conf"), os.path.join(d, "lighttpd.conf"), PORT=str(self.port),
               STATEDIR=d, MOUNT_CONF=os.path.join(d, "mount.conf"))
        conf = os.path.join(d, "lighttpd.conf")
        t = subprocess.run(["lighttpd", "-tt", "-f", conf], capture_output=True, text=True)
        if t.returncode:
            raise AssertionError("lighttpd rejects the config: %s" % (t.stdout + t.stderr)[:300])
        self.log = os.path.join(d, "lighttpd.log")
        self.proc = procs.Proc("lighttpd", ["lighttpd", "-D", "-f", conf], self.log,
                               env=lab.clean_env)
        procs.wait_for("lighttpd port", lambda: labmod.port_or_dead(self.proc, self.port))

    def stop(self):
        self.proc.stop()


class Apache:
    """Apache from deploy/apache-fcgid or deploy/apache-cgi on a free port,
    mount /thanos, in a state directory of its own with a copy of the
    program.  Started as root it drops to www-data: the directories are
    made readable for everyone."""

    mounts_any = False
    any_flags = False
    spawns = True
    SNIPPET_ENV = Lighttpd.SNIPPET_ENV
    QUIRKS = {
        # Apache decodes %2e and resolves /thanos/.. before it maps the
        # URL: not under /thanos, its own 404
        "bad path /%2e%2e/metrics": {"status": 404},
        # Apache answers an encoded NUL in the path with its own 404
        # (ap_unescape_url), before any handler
        "bad path /a%00b": {"status": 404},
    }
    DIRS = {"apache_fcgid": ("apache-fcgid", "thanos-fcgi.conf"),
            "apache_cgi": ("apache-cgi", "thanos-cgi.conf")}

    def __init__(self, lab, mode, name, flags, snippet=None, env=None, httpd="httpd.conf", **values):
        """snippet: another mount file of the same deploy/ directory (or a
        path); httpd: another server file (a path); env: more of Apache's
        environment (PassEnv); values fill (or override) the placeholders."""
        extra = values
        sub, own = self.DIRS[mode]
        snippet = snippet or own
        src = os.path.join(DEPLOY, sub)
        d = os.path.join(lab.dir, "%s_%s" % (mode, name))
        for x in ("logs", "run", "fcgid", "htdocs", "bin"):
            os.makedirs(os.path.join(d, x), exist_ok=True)
        b = os.path.join(d, "bin", "thanos-fcgi")
        shutil.copy(lab.binary, b)
        os.chmod(b, 0o755)
        user = group = None
        if os.getuid() == 0:
            user, group = "www-data", "www-data"
            shutil.chown(os.path.join(d, "fcgid"), user, group)
        else:
            user = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
        values = {"ROOT_PATHS": "/metrics,/-/healthy,/-/ready", "ROUTE_PREFIX": "/"}
        for f, v in zip(flags[0::2], flags[1::2]):
            values[self.SNIPPET_ENV[f]] = v
        values.update(extra)
        self.port = procs.free_port()
        self.mount_files(src, snippet, d, b, values)
        conf = os.path.join(d, "httpd.conf")
        render(os.path.join(src, httpd), conf, PORT=str(self.port), DIR=d, USER=user,
               GROUP=group, MOUNT_CONF=os.path.join(d, "mount.conf"))
        with open(conf) as f:
            fcgid = any(ln.startswith("LoadModule fcgid_module") for ln in f)
        if fcgid:  # mod_fcgid passes only what FcgidInitialEnv names
            with open(conf, "a") as f:
                f.write("FcgidInitialEnv THANOS_FCGI_CHECK_ON_START %s\n"
                        % lab.clean_env["THANOS_FCGI_CHECK_ON_START"])
        for root, dirs, files in os.walk(lab.dir):
            for x in dirs + files:
                try:
                    os.chmod(os.path.join(root, x), os.stat(os.path.join(root, x)).st_mode | 0o444 |
                             (0o111 if x in dirs else 0))
                except FileNotFoundError:  # a file another process just removed
                    pass
        os.chmod(lab.dir, 0o755)
        env = dict(lab.clean_env, **(env or {}))
        t = subprocess.run(["apache2", "-t", "-f", conf], capture_output=True, text=True, env=env)
        if t.returncode:
            raise AssertionError("apache2 rejects the config: %s" % (t.stdout + t.stderr)[:300])
        self.log = os.path.join(d, "logs", "error.log")
        # another Apache of the same directory may have written before: its
        # lines are not this one's
        self.log_from = os.path.getsize(self.log) if os.path.exists(self.log) else 0
        self.proc = procs.Proc(mode, ["apache2", "-f", conf, "-DFOREGROUND"], os.path.join(d, "apache.log"),
                               env=env)
        self.dir = d
        procs.wait_for("%s port" % mode, lambda: labmod.port_or_dead(self.proc, self.port))

    def mount_files(self, src, snippet, d, b, values):
        render(os.path.join(src, snippet), os.path.join(d, "mount.conf"), BIN=b, **values)

    def log_text(self):
        """What this Apache wrote to its error log."""
        with open(self.log, "rb") as f:
            f.seek(self.log_from)
            return f.read().decode("utf-8", "replace")

    def stop(self):
        self.proc.stop()


class SharedHosting(Apache):
    """deploy/shared-hosting: Apache (mod_cgi, mod_rewrite, AllowOverride
    All) and the customer's upload, htdocs/thanos/thanos.cgi (the program)
    with deploy/shared-hosting/htaccess as its .htaccess (SetEnv, and the
    RewriteRule to thanos.cgi/$1)."""

    DIRS = {"shared_hosting": ("shared-hosting", "htaccess")}
    QUIRKS = dict(Apache.QUIRKS, **{
        # AllowEncodedSlashes is server config only, not .htaccess: Apache
        # answers a %2F in the path with its own 404 (the upstream never
        # sees the label)
        "label with %2F": {"status": 404, "json": None},
        "bad path /..%2f..%2fmetrics": {"status": 404},
        "bad path /api/v1/label/..%2F..%2F/values": {"status": 404},
        # Apache resolves the "." before the RewriteRule: the adapter gets
        # /graph/, a path like any other, and the upstream's 301 comes back
        "bad path /graph/.": {"status": 301, "upstream": {"requests": 1}},
        # /thanos is a directory: mod_dir's own 301 to /thanos/ comes first
        "E=R bare prefix": {"status": 301, "headers": {"Location": "http://www.example/thanos/"}},
        "R=/ bare prefix": {"status": 301, "headers": {"Location": "http://www.example/thanos/"}},
    })

    def mount_files(self, src, snippet, d, b, values):
        site = os.path.join(d, "htdocs", "thanos")
        os.makedirs(site, exist_ok=True)
        shutil.copy(b, os.path.join(site, "thanos.cgi"))
        os.chmod(os.path.join(site, "thanos.cgi"), 0o755)
        render(os.path.join(src, snippet), os.path.join(site, ".htaccess"), **values)
        open(os.path.join(d, "mount.conf"), "w").close()


SERVERS = {"nginx": Nginx, "lighttpd": Lighttpd, "apache_fcgid": Apache, "apache_cgi": Apache,
           "shared_hosting": SharedHosting}


class FrontAdapter:
    """An adapter (--listen unix:PATH, its settings as flags) behind one
    front server per mount the cases use."""

    def __init__(self, lab, mode, name, spec):
        self.lab = lab
        self.mode = mode
        self.name = name
        self.server = SERVERS[mode]
        self.flags = [lab.expand(f) for f in spec.get("flags", [])]
        self.inner = None
        if not self.server.spawns:
            self.inner = labmod.Adapter(lab, "unix", name, dict(spec, settings="flags"))
        self.fronts = {}

    def last_fail(self):
        if self.inner:
            return self.inner.last_fail()
        text = "".join(f.log_text() if hasattr(f, "log_text") else f.proc.log_text()
                       for f in self.fronts.values())
        return labmod.last_fail_line(text)

    def front(self, mount):
        if mount not in self.fronts:
            if issubclass(self.server, Apache):
                self.fronts[mount] = self.server(self.lab, self.mode, self.name, self.flags)
            elif self.server.spawns:
                self.fronts[mount] = self.server(self.lab, self.name, mount, self.flags)
            else:
                self.fronts[mount] = self.server(self.lab, self.name, mount, self.inner.addr)
        return self.fronts[mount]

    def stop(self):
        for f in self.fronts.values():
            f.stop()
        if self.inner:
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
