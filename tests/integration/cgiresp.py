#!/usr/bin/env python3
"""cgiresp.py: helpers for the integration tests (Python 3 stdlib only).

  cgiresp.py split RAW HEAD BODY
      Splits a CGI response (as printed by a CGI program or cgi-fcgi) at the
      first empty line: HEAD gets the header lines without CR, BODY the raw
      bytes after the empty line.  A response with no empty line is all head.
  cgiresp.py header HEAD NAME
      Prints every value of header NAME (case-insensitive), one a line.
  cgiresp.py decode PATH
      Prints PATH percent-decoded (what a web server puts in PATH_INFO).
  cgiresp.py encode TEXT
      Prints TEXT percent-encoded for a query value (everything but
      unreserved characters).
  cgiresp.py json FILE EXPR
      Loads FILE as JSON into d and prints EXPR evaluated on it ("" for None,
      JSON for lists and dicts).
  cgiresp.py echo-header FILE NAME
      From a /-/echo answer: the values of request header NAME as the mock
      saw it (case-insensitive, joined with ", "), or "<absent>".
  cgiresp.py gunzip FILE
      Writes FILE gunzipped to stdout.
  cgiresp.py timed OUT CMD...
      Runs CMD, copies its stdout to ours, and writes to OUT "FIRST END":
      milliseconds from the start until the first body byte (after the
      empty line; -1 if none) and until CMD's output ended; and to OUT.head
      the milliseconds until the empty line ending the header block (-1 if
      none).  Exits with CMD's status.
"""

import gzip
import json
import os
import subprocess
import sys
import time
import urllib.parse


def split(raw, head, body):
    data = open(raw, "rb").read()
    cut = []
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = data.find(sep)
        if i >= 0:
            cut.append((i, len(sep)))
    if cut:
        i, n = min(cut)
        h, b = data[:i], data[i + n:]
    else:
        h, b = data, b""
    with open(head, "wb") as f:
        f.write(h.replace(b"\r\n", b"\n") + (b"\n" if h else b""))
    with open(body, "wb") as f:
        f.write(b)


def timed(out, cmd):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    seen = b""
    first = head = -1
    fd = p.stdout.fileno()
    while True:
        data = os.read(fd, 65536)
        if not data:
            break
        if first < 0:
            seen += data
            for sep in (b"\r\n\r\n", b"\n\n"):
                i = seen.find(sep)
                if i >= 0 and head < 0:
                    head = int((time.monotonic() - t0) * 1000)
                if i >= 0 and len(seen) > i + len(sep):
                    first = int((time.monotonic() - t0) * 1000)
                    break
            if first < 0 and len(seen) > 1 << 20:
                seen = seen[-4:]
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    end = int((time.monotonic() - t0) * 1000)
    rc = p.wait()
    with open(out, "w") as f:
        f.write("%d %d\n" % (first, end))
    with open(out + ".head", "w") as f:
        f.write("%d\n" % head)
    return rc if rc >= 0 else 128 - rc


def header(head, name):
    for line in open(head, "rb").read().decode("latin-1").split("\n"):
        k, sep, v = line.partition(":")
        if sep and k.strip().lower() == name.lower():
            print(v.strip())


def show(v):
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def main(argv):
    cmd = argv[1]
    if cmd == "split":
        split(argv[2], argv[3], argv[4])
    elif cmd == "header":
        header(argv[2], argv[3])
    elif cmd == "decode":
        sys.stdout.buffer.write(urllib.parse.unquote_to_bytes(argv[2]))
    elif cmd == "encode":
        sys.stdout.write(urllib.parse.quote(argv[2], safe=""))
    elif cmd == "json":
        try:
            d = json.load(open(argv[2], "rb"))
        except ValueError as e:
            print("<not JSON: %s>" % e)
            return 0
        try:
            print(show(eval(argv[3], {"d": d})))
        except Exception as e:  # a missing key is a test failure, not a crash
            print("<%s: %s>" % (type(e).__name__, e))
    elif cmd == "echo-header":
        try:
            d = json.load(open(argv[2], "rb"))
        except ValueError:
            print("<not JSON>")
            return 0
        vals = [v for k, v in d.get("header_list", []) if k.lower() == argv[3].lower()]
        print(", ".join(vals) if vals else "<absent>")
    elif cmd == "timed":
        return timed(argv[2], argv[3:])
    elif cmd == "gunzip":
        sys.stdout.buffer.write(gzip.decompress(open(argv[2], "rb").read()))
    else:
        sys.stderr.write("cgiresp.py: unknown command %s\n" % cmd)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
